using Microsoft.Extensions.Time.Testing;
using Streams.Engine.Runtime;
using Streams.Formats.Evio;

namespace Streams.Operators.Tests.Evio;

/// <summary>evio-file-source: lists and globs in order, EVIO 4 and 6, a malformed file reported and skipped, follow mode.</summary>
public sealed class EvioFileSourceTests : IDisposable
{
    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A file of <paramref name="n"/> events: bank tag 0x100 + i, num i, one uint32 = first + i.</summary>
    private string Write(string name, int n, int first, EvioWriterOptions? options = null)
    {
        var path = _dir.File(name);
        using var w = EvioWriter.Create(path, options ?? new EvioWriterOptions { MaxEventsPerRecord = 3 });
        var be = (options ?? new EvioWriterOptions()).BigEndian;
        for (var i = 0; i < n; i++)
        {
            var b = new EvioBuilder(be);
            b.OpenBank(0x100 + i, EvioDataType.UInt32, (byte)i).Add([(uint)(first + i)]).Close();
            w.WriteEvent(b);
        }

        return path;
    }

    private static string Yaml(string config, string output) => $$$"""
        sources: [{name: src, operator: evio-file-source, config: {{{config}}}}]
        sinks: [{name: out, operator: arrow-file-sink, input: src, config: {path: "{{{output}}}"}}]
        """;

    /// <summary>The first data word of every event in an arrow file of raw payloads, in file order, with its data id.</summary>
    private static List<(uint Value, ushort Tag, ulong Number)> Read(string arrow)
    {
        using var stream = File.OpenRead(arrow);
        using var reader = new Apache.Arrow.Ipc.ArrowFileReader(stream);
        var list = new List<(uint, ushort, ulong)>();
        while (reader.ReadNextRecordBatch() is { } rb)
        {
            using (rb)
            {
                var payload = (Apache.Arrow.BinaryArray)rb.Column("payload");
                var id = (Apache.Arrow.UInt16Array)rb.Column("data_id");
                var num = (Apache.Arrow.UInt64Array)rb.Column("event_number");
                for (var i = 0; i < rb.Length; i++)
                {
                    var bank = payload.GetBytes(i).ToArray();
                    var node = EvioNode.ParseBank(bank, EvioNode.BankByteOrder(bank)!.Value);
                    list.Add((node.UInt32s[0], id.GetValue(i) ?? 0, num.GetValue(i) ?? 0));
                }
            }
        }

        return list;
    }

    [Fact]
    public async Task Files_of_a_list_and_a_glob_are_read_in_order_v4_and_v6_either_byte_order()
    {
        Write("a-1.evio", 4, 0);
        Write("a-2.evio", 5, 100, new EvioWriterOptions { BigEndian = true, Compression = EvioCompression.Lz4, MaxEventsPerRecord = 2 });
        var v4 = Write("b.evio", 3, 200, new EvioWriterOptions { Version = 4, MaxEventsPerRecord = 2 });
        var output = _dir.File("out.arrow");
        var summary = await Pipelines.RunAsync(Yaml($"{{path: \"{_dir.File("a-*.evio")}\", paths: [\"{v4}\"], batch-size: 4}}", output), catalog: Catalogs.Full());
        Assert.True(summary.Ok, summary.ExitReason);
        var events = Read(output);
        Assert.Equal([0u, 1, 2, 3, 100, 101, 102, 103, 104, 200, 201, 202], events.Select(e => e.Value));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (ulong)i), events.Select(e => e.Number));
        Assert.Equal(0x100 + 4, events[8].Tag);
    }

    [Fact]
    public async Task A_malformed_file_is_reported_with_its_offset_and_the_run_goes_on()
    {
        var good = Write("good.evio", 6, 0);
        var bad = Write("bad.evio", 6, 50);
        var bytes = File.ReadAllBytes(bad);
        var record2 = 56 + (4 * BitConverter.ToInt32(bytes, 56)); // the second record's header
        BitConverter.GetBytes(0x12345678u).CopyTo(bytes, record2 + 28); // its magic word
        File.WriteAllBytes(bad, bytes);
        var output = _dir.File("out.arrow");
        var log = new StringWriter();
        var summary = await Pipelines.RunAsync(Yaml($"{{paths: [\"{bad}\", \"{good}\"], event-number: num}}", output), new PipelineOptions { Log = new Streams.Engine.Operators.RunLog(log) }, Catalogs.Full());
        Assert.Equal([50u, 51, 52, 0, 1, 2, 3, 4, 5], Read(output).Select(e => e.Value));
        Assert.Equal([0ul, 1, 2, 0, 1, 2, 3, 4, 5], Read(output).Select(e => e.Number)); // the banks' num
        var line = Assert.Single(log.ToString().Split('\n'), l => l.Contains("malformed EVIO", StringComparison.Ordinal));
        Assert.Contains($"at byte {record2 + 28}", line, StringComparison.Ordinal);
        Assert.Contains("bad.evio", line, StringComparison.Ordinal);
        Assert.NotNull(summary.Sections);
        Assert.Contains("evio-file-source", summary.Sections!.Keys);
    }

    [Fact]
    public async Task Empty_and_foreign_files_are_counted_and_skipped()
    {
        var empty = _dir.File("empty.evio");
        File.WriteAllBytes(empty, []);
        var text = _dir.Write("notes.evio", "these are not the events you are looking for, not at all");
        var good = Write("good.evio", 2, 7);
        var output = _dir.File("out.arrow");
        var summary = await Pipelines.RunAsync(Yaml($"{{paths: [\"{empty}\", \"{text}\", \"{good}\"]}}", output), catalog: Catalogs.Full());
        Assert.Equal([7u, 8], Read(output).Select(e => e.Value));
        var section = System.Text.Json.JsonSerializer.Serialize(summary.Sections!["evio-file-source"], Relaxed);
        Assert.Contains("\"files\":3,\"events\":2", section, StringComparison.Ordinal);
        Assert.Contains("empty.evio': malformed EVIO at byte 0: empty file", section, StringComparison.Ordinal);
        Assert.Contains("notes.evio': malformed EVIO at byte 28", section, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Follow_mode_reads_records_as_they_are_written_and_stops_after_the_quiet_timeout()
    {
        var path = _dir.File("growing.evio");
        var full = File.ReadAllBytes(Write("whole.evio", 9, 0)); // 3 records of 3 events, then the trailer
        var record1End = 56 + (4 * BitConverter.ToInt32(full, 56));
        File.WriteAllBytes(path, full[..(record1End + 20)]); // record 1, and a piece of record 2
        var time = new FakeTimeProvider();
        var output = _dir.File("out.arrow");
        using var p = Pipeline.Create(Pipelines.Plan(Yaml($"{{path: \"{path}\", follow: true, poll-ms: 100, quiet-timeout: 5}}", output), Catalogs.Full()), new PipelineOptions { Time = time });
        var run = p.RunAsync();
        await Eventually.WaitUntil(() => p.Accounts.Received >= 3);
        Assert.Equal(3, p.Accounts.Received);
        var trailerAt = (int)BitConverter.ToInt64(full, 40); // the file header's trailer position
        using (var f = new FileStream(path, FileMode.Append)) f.Write(full.AsSpan(record1End + 20, trailerAt - record1End - 20)); // records 2 and 3, no trailer yet
        await Eventually.Until(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(100)); // the next poll finds the new records
            return p.Accounts.Received >= 9;
        }, "the appended records are read");
        Assert.Equal(9, p.Accounts.Received);
        Assert.False(run.IsCompleted);
        await Eventually.Until(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1)); // no trailer: the quiet timeout ends the file
            return run.IsCompleted;
        }, "the quiet timeout ends the file");

        var summary = await run;
        Assert.True(summary.Ok, summary.ExitReason);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (uint)i), Read(output).Select(e => e.Value));
    }

    [Theory]
    [InlineData(6)]
    [InlineData(4)]
    public async Task Follow_mode_ends_a_file_at_its_trailer_or_last_block_without_waiting(int version)
    {
        var path = Write($"done-v{version}.evio", 7, 30, new EvioWriterOptions { Version = version, MaxEventsPerRecord = 3, BigEndian = version == 4 });
        var output = _dir.File($"out-v{version}.arrow");
        var time = new FakeTimeProvider(); // never advanced: a wait would hang the run
        var summary = await Pipelines.RunAsync(Yaml($"{{path: \"{path}\", follow: true, quiet-timeout: 3600}}", output), new PipelineOptions { Time = time }, Catalogs.Full());
        Assert.True(summary.Ok, summary.ExitReason);
        Assert.Equal(Enumerable.Range(30, 7).Select(i => (uint)i), Read(output).Select(e => e.Value));
    }
}

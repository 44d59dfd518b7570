using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Streams.Engine.Batches;
using Streams.Formats.Evio;
using Streams.Transports.Files.Evio;
using static Streams.Formats.Evio.CodaStreamBuilder;

namespace Streams.Operators.Tests.Evio;

/// <summary>coda-decode over a CODA-like file (control events around time frames); evio-file-sink after an abort.</summary>
public sealed class CodaAndSinkTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Roc Roc(int id, int slot, params (int, int, int)[] hits) => new(id, [new Payload(slot, hits)]);

    [Fact]
    public async Task Coda_time_frames_become_hit_rows_and_control_events_are_counted()
    {
        var path = _dir.File("run.evio");
        using (var w = EvioWriter.Create(path))
        {
            w.WriteEvent(Control(CodaEventKind.Prestart, 1000, 4242, 1));
            w.WriteEvent(Control(CodaEventKind.Go, 1001, 0, 0));
            w.WriteEvent(TimeFrame(7, 0x1_0000_0010, [Roc(2, 3, (1, 100, 5), (15, 8191, 16383)), Roc(5, 10, (0, 1, 2))]));
            w.WriteEvent(TimeFrame(8, 0x1_0000_0020, [Roc(2, 3)]));
            w.WriteEvent(RocTimeSlice(9, 0x1_0000_0030, Roc(6, 4, (3, 30, 300))));
            w.WriteEvent(Control(CodaEventKind.End, 1002, 0, 3));
        }

        var output = _dir.File("hits.arrow");
        var summary = await Pipelines.RunAsync($$$"""
            sources: [{name: src, operator: evio-file-source, config: {path: "{{{path}}}", data-type: evio/coda}}]
            stages: [{name: coda, operator: coda-decode, input: src}]
            sinks: [{name: out, operator: arrow-file-sink, input: coda, config: {path: "{{{output}}}"}}]
            """, catalog: Catalogs.Full());
        Assert.True(summary.Ok, summary.ExitReason);
        Assert.Equal(0, summary.Events.Failed);
        using var stream = File.OpenRead(output);
        using var reader = new ArrowFileReader(stream);
        using var rb = reader.ReadNextRecordBatch()!;
        Assert.Equal(3, rb.Length);
        Assert.Equal([7L, 8, 9], ((Int64Array)rb.Column("coda_frame")).Values.ToArray());
        Assert.Equal([0x1_0000_0010ul, 0x1_0000_0020, 0x1_0000_0030], ((UInt64Array)rb.Column("coda_timestamp")).Values.ToArray());
        var roc = (ListArray)rb.Column("coda_roc");
        Assert.Equal([0, 3, 3, 4], roc.ValueOffsets.ToArray());
        Assert.Equal([(ushort)2, 2, 5, 6], ((UInt16Array)roc.Values).Values.ToArray());
        Assert.Equal([(ushort)3, 3, 10, 4], ((UInt16Array)((ListArray)rb.Column("coda_slot")).Values).Values.ToArray());
        Assert.Equal([(byte)1, 15, 0, 3], ((UInt8Array)((ListArray)rb.Column("coda_channel")).Values).Values.ToArray());
        Assert.Equal([(ushort)100, 8191, 1, 30], ((UInt16Array)((ListArray)rb.Column("coda_charge")).Values).Values.ToArray());
        Assert.Equal([(ushort)5, 16383, 2, 300], ((UInt16Array)((ListArray)rb.Column("coda_time")).Values).Values.ToArray());
        var section = JsonSerializer.Serialize(summary.Sections!["coda-decode"]);
        Assert.Contains("\"frames\":3", section, StringComparison.Ordinal);
        Assert.Contains("\"hits\":4", section, StringComparison.Ordinal);
        Assert.Contains("\"prestart\":1,\"go\":1,\"pause\":0,\"end\":1", section, StringComparison.Ordinal);
    }

    private static EventBatch Banks(int n, bool bigEndian)
    {
        using var b = new EventBatchBuilder(n, 1024);
        for (var i = 0; i < n; i++)
        {
            var bank = new EvioBuilder(bigEndian).OpenBank(0x20, EvioDataType.UInt32, (byte)i).Add([(uint)i]).Close().ToArray();
            b.Add(new EventMeta((ulong)i, 0, 0, 0), bank);
        }

        return b.Build("evio/bank");
    }

    [Fact]
    public void The_sink_file_is_valid_after_an_abort_and_events_in_the_other_byte_order_fail_alone()
    {
        var path = _dir.File("out/aborted.evio");
        using var sink = (EvioFileSink)EvioFileSink.Descriptor.Factory();
        sink.Configure(new Streams.Engine.Operators.OperatorConfig(EvioFileSink.Descriptor.Parameters, new Dictionary<string, Streams.Engine.Operators.ConfigValue> { ["path"] = Streams.Engine.Operators.ConfigValue.Of(path), ["events-per-record"] = Streams.Engine.Operators.ConfigValue.Of("4") }, "sink"));
        using (var batch = Banks(10, bigEndian: false))
        {
            var context = OperatorSamples.Context(batch);
            sink.Write(batch, context);
            context.End();
            Assert.Equal(0, context.FailedCount);
        }

        using (var other = Banks(2, bigEndian: true))
        {
            var context = OperatorSamples.Context(other);
            sink.Write(other, context);
            context.End();
            Assert.Equal(2, context.FailedCount);
        }

        Assert.Contains("readable, 10 events", sink.Abort(), StringComparison.Ordinal);
        using (var file = EvioFile.Open(path))
        {
            Assert.Equal(10, file.Reader.CountEvents());
            Assert.True(file.Reader.ReadRecordHeaders()[^1].IsTrailer);
            Assert.Equal(3u, file.FileHeader!.RecordCount);
        }

        using var late = Banks(1, bigEndian: false);
        var c = OperatorSamples.Context(late);
        Assert.Throws<InvalidOperationException>(() => sink.Write(late, c));
        c.End();
    }
}

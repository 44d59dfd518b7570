using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Streams.Formats.Evio;

namespace Streams.Operators.Tests.Evio;

/// <summary>
/// clas12-sim -> evio-file-sink -> file -> evio-file-source -> reconstruction gives the same tracks as reconstruction
/// straight from clas12-sim; the file is a real EVIO 6 file (records, index, trailer) in either compression.
/// </summary>
public sealed class EvioRoundTripTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Sim = "{count: 300, tracks: 2, seed: 5, batch-size: 32}";

    private static string Reconstruct(string source, string tracks) => $$$"""
        sources: [{{{source}}}]
        stages:
          - {name: decode, operator: clas12-decode, input: src}
          - {name: tracking, operator: clas12-dc-tracking, input: decode}
        sinks: [{name: out, operator: arrow-file-sink, input: tracking, config: {path: "{{{tracks}}}"}}]
        """;

    [Theory]
    [InlineData("none")]
    [InlineData("lz4")]
    public async Task Tracks_reconstructed_from_an_evio_file_match_those_from_the_simulation(string compress)
    {
        var evio = _dir.File($"sim-{compress}.evio");
        var write = await Pipelines.RunAsync($$$"""
            sources: [{name: sim, operator: clas12-sim, config: {{{Sim}}}}]
            sinks: [{name: file, operator: evio-file-sink, input: sim, config: {path: "{{{evio}}}", compress: {{{compress}}}, events-per-record: 50}}]
            """, catalog: Catalogs.Full());
        Assert.True(write.Ok, write.ExitReason);

        using (var file = EvioFile.Open(evio))
        {
            Assert.Equal(6, file.Version);
            Assert.True(file.IsBigEndian);
            Assert.Equal(300, file.Reader.CountEvents());
            var records = file.Reader.ReadRecordHeaders();
            Assert.True(records[^1].IsTrailer);
            Assert.Equal(10, records.Count(r => !r.IsTrailer)); // a record per batch of 32 events (under 50 a record)
            Assert.All(records.Where(r => !r.IsTrailer), r => Assert.Equal(compress == "lz4" ? EvioCompression.Lz4 : EvioCompression.None, r.Compression));
        }

        var direct = _dir.File($"direct-{compress}.arrow");
        var fromFile = _dir.File($"file-{compress}.arrow");
        var a = await Pipelines.RunAsync(Reconstruct($"{{name: src, operator: clas12-sim, config: {Sim}}}", direct), catalog: Catalogs.Full());
        var b = await Pipelines.RunAsync(Reconstruct($"{{name: src, operator: evio-file-source, config: {{path: \"{evio}\", data-type: evio/clas12}}}}", fromFile), catalog: Catalogs.Full());
        Assert.True(a.Ok && b.Ok, a.ExitReason + " / " + b.ExitReason);
        Assert.Equal(300, b.Stage("src").EventsOut);
        var expected = Rows(direct);
        Assert.Equal(300, expected.Count);
        Assert.Equal(expected, Rows(fromFile));
    }

    /// <summary>Every row of a track file as text (event number first; arrival time and data id left out), in event order.</summary>
    internal static List<string> Rows(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new ArrowFileReader(stream);
        var rows = new List<(ulong, string)>();
        while (reader.ReadNextRecordBatch() is { } rb)
        {
            using (rb)
            {
                var num = (UInt64Array)rb.Column("event_number");
                for (var r = 0; r < rb.Length; r++)
                {
                    var cells = new List<string>();
                    for (var c = 0; c < rb.ColumnCount; c++)
                    {
                        var name = rb.Schema.GetFieldByIndex(c).Name;
                        if (name is "arrival_ns" or "data_id") continue; // the file source gives the bank tag as data id
                        cells.Add(name + "=" + Cell(rb.Column(c), r));
                    }

                    rows.Add((num.GetValue(r) ?? 0, string.Join(" ", cells)));
                }
            }
        }

        return [.. rows.OrderBy(x => x.Item1).Select(x => x.Item2)];
    }

    private static string Cell(IArrowArray array, int row)
    {
        if (array is ListArray list)
        {
            var (start, end) = (list.ValueOffsets[row], list.ValueOffsets[row + 1]);
            return "[" + string.Join(",", Enumerable.Range(start, end - start).Select(i => Cell(list.Values, i))) + "]";
        }

        return array switch
        {
            DoubleArray d => d.GetValue(row)?.ToString("R", CultureInfo.InvariantCulture) ?? "null",
            FloatArray f => f.GetValue(row)?.ToString("R", CultureInfo.InvariantCulture) ?? "null",
            Int8Array i => i.GetValue(row)?.ToString(CultureInfo.InvariantCulture) ?? "null",
            UInt8Array u => u.GetValue(row)?.ToString(CultureInfo.InvariantCulture) ?? "null",
            Int16Array i => i.GetValue(row)?.ToString(CultureInfo.InvariantCulture) ?? "null",
            UInt16Array u => u.GetValue(row)?.ToString(CultureInfo.InvariantCulture) ?? "null",
            Int32Array i => i.GetValue(row)?.ToString(CultureInfo.InvariantCulture) ?? "null",
            UInt32Array u => u.GetValue(row)?.ToString(CultureInfo.InvariantCulture) ?? "null",
            Int64Array i => i.GetValue(row)?.ToString(CultureInfo.InvariantCulture) ?? "null",
            UInt64Array u => u.GetValue(row)?.ToString(CultureInfo.InvariantCulture) ?? "null",
            BooleanArray b => b.GetValue(row)?.ToString() ?? "null",
            _ => array.GetType().Name,
        };
    }
}

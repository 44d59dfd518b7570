using Streams.Engine.Runtime;

namespace Streams.Integration.Tests;

/// <summary>
/// The EVIO pipelines as the README runs them: clas12-evio.yaml writes out/clas12.evio, <c>streams inspect</c> reads it,
/// evio-replay.yaml reconstructs and validates it; a missing input stops the run before it starts.
/// </summary>
public sealed class EvioCliTests(TempDir dir) : IClassFixture<TempDir>
{
    private static string Pipeline(string name) => Path.Combine(StreamsProcess.RepoRoot, "deploy", "pipelines", name);

    [Fact]
    public async Task An_evio_file_written_by_clas12_evio_is_inspected_and_replayed_through_reconstruction()
    {
        var work = Directory.CreateDirectory(dir.File("evio-run")).FullName;
        var (code, _, stderr) = await StreamsProcess.RunInAsync(120, work, "run", Pipeline("clas12-evio.yaml"), "--metrics-listen", "off");
        Assert.True(code == 0, stderr);

        (code, var stdout, stderr) = await StreamsProcess.RunInAsync(60, work, "inspect", "out/clas12.evio");
        Assert.True(code == 0, stderr);
        Assert.Contains("EVIO 6, big-endian", stdout, StringComparison.Ordinal);
        Assert.Contains("records: 2 + trailer", stdout, StringComparison.Ordinal);
        Assert.Contains("events: 2000", stdout, StringComparison.Ordinal);
        Assert.Contains("compression: lz4", stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = await StreamsProcess.RunInAsync(60, work, "inspect", "out/clas12.evio", "--event", "5");
        Assert.True(code == 0, stderr);
        Assert.Contains("BANK tag=0x0001(1) num=0 type=0x10(BANK)", stdout, StringComparison.Ordinal);
        Assert.Contains("  BANK tag=0x0d01(3329)", stdout, StringComparison.Ordinal);
        (code, _, stderr) = await StreamsProcess.RunInAsync(60, work, "inspect", "out/clas12.evio", "--event", "2000");
        Assert.Equal(1, code);
        Assert.Contains("no event 2000; the file has 2000", stderr, StringComparison.Ordinal);

        var json = Path.Combine(work, "replay.json");
        (code, _, stderr) = await StreamsProcess.RunInAsync(180, work, "run", Pipeline("evio-replay.yaml"), "--summary-json", json, "--metrics-listen", "off");
        Assert.True(code == 0, stderr);
        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(json));
        Assert.Equal(new EventTotals(2000, 2000, 0, 0, 0), s.Events);
        var v = s.Sections!["validation"] is System.Text.Json.JsonElement e ? e : default;
        Assert.True(v.GetProperty("efficiency").GetDouble() >= 0.95, v.ToString());
        Assert.Equal(2000, ArrowFiles.Rows(Path.Combine(work, "out", "evio-replay.arrow")));

        // The same EVIO file into a HIPO 4 DST, read back by inspect: one REC::Particle row per reconstructed track.
        (code, _, stderr) = await StreamsProcess.RunInAsync(180, work, "run", Pipeline("evio-to-hipo.yaml"), "--metrics-listen", "off");
        Assert.True(code == 0, stderr);
        using var hipo = Streams.Formats.Hipo.HipoReader.Open(Path.Combine(work, "out", "evio-to-hipo.hipo"));
        Assert.Equal(2000, hipo.EventCount);
        (code, stdout, stderr) = await StreamsProcess.RunInAsync(60, work, "inspect", "out/evio-to-hipo.hipo");
        Assert.True(code == 0, stderr);
        Assert.Matches(@"bank REC::Particle events=2000 rows=3[89]\d\d", stdout); // two tracks an event, 97 % hit efficiency
    }

    [Fact]
    public async Task A_missing_input_file_stops_the_run_before_it_starts()
    {
        var work = Directory.CreateDirectory(dir.File("evio-missing")).FullName;
        var (code, _, stderr) = await StreamsProcess.RunInAsync(60, work, "run", Pipeline("evio-replay.yaml"), "--metrics-listen", "off");
        Assert.Equal(5, code);
        Assert.Contains("no EVIO file matches 'out/clas12.evio'", stderr, StringComparison.Ordinal);
    }
}

using Streams.Engine.Runtime;

namespace Streams.Integration.Tests;

/// <summary>`streams inspect` on HIPO 4 files: the gavalian/hipo fixture, and a file the clas12-hipo pipeline writes.</summary>
public sealed class HipoCliTests(TempDir dir) : IClassFixture<TempDir>
{
    private static string Fixture
    {
        get
        {
            var path = Path.GetFullPath(Path.Combine(StreamsProcess.RepoRoot, "..", "shared", "fixtures", "jlab-formats", "hipo4.hipo"));
            Assert.True(File.Exists(path), $"fixture missing: {path}");
            return path;
        }
    }

    [Fact]
    public async Task Inspect_summarizes_the_fixture_with_its_schemas()
    {
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "inspect", Fixture);
        Assert.True(code == 0, stderr);
        Assert.Contains("# 20 events in 3 records, compression LZ4, index record present", stdout, StringComparison.Ordinal);
        Assert.Contains("record 1000 904 8 0\n", stdout, StringComparison.Ordinal);
        Assert.Contains("schema REC::Particle group=300 item=31 rowLength=43 {REC::Particle/300/31}{pid/I,px/F,py/F,pz/F,vx/F,vy/F,vz/F,vt/F,charge/B,beta/F,chi2pid/F,status/S}", stdout, StringComparison.Ordinal);
        Assert.Contains("schema DC::tdc group=20600 item=12 rowLength=9 {DC::tdc/20600/12}{sector/B,layer/B,component/S,order/B,TDC/I}", stdout, StringComparison.Ordinal);
        Assert.Contains("schema REC::Event group=300 item=30", stdout, StringComparison.Ordinal);
        Assert.Contains("schema REC::Track group=300 item=36", stdout, StringComparison.Ordinal);
        Assert.Contains("bank REC::Particle events=13 rows=19", stdout, StringComparison.Ordinal); // i % 3 rows, absent when 0
        Assert.Contains("bank REC::Track events=10 rows=", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_prints_the_rows_of_a_bank_for_one_event_as_the_cpp_dump_does()
    {
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "inspect", Fixture, "--bank", "REC::Particle", "--event", "0");
        Assert.True(code == 0, stderr);
        Assert.Equal("event 0 size=83 tag=0\n  bank REC::Particle rows=0\n", stdout.ReplaceLineEndings("\n"));

        (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "inspect", Fixture, "--bank", "REC::Particle", "--event", "2");
        Assert.True(code == 0, stderr);
        Assert.Equal(
            "event 2 size=195 tag=0\n  bank REC::Particle rows=2\n"
            + "    [0] pid=11 px=2 py=-2.5 pz=2.25 vx=0 vy=-0 vz=-2.875 vt=12 charge=-1 beta=0.5 chi2pid=1 status=-2020\n"
            + "    [1] pid=2212 px=2.25 py=-2.5 pz=2.25 vx=0.5 vy=-0.5 vz=-2.875 vt=12 charge=1 beta=0.625 chi2pid=1 status=-2021\n",
            stdout.ReplaceLineEndings("\n"));

        (code, stdout, _) = await StreamsProcess.RunAsync(60, "inspect", Fixture, "--bank", "DC::tdc");
        Assert.Equal(0, code);
        Assert.Equal(20, stdout.Split('\n').Count(l => l.StartsWith("event ", StringComparison.Ordinal)));
        Assert.Contains("    [2] sector=5 layer=9 component=25 order=2 TDC=2002\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_says_what_is_wrong_in_one_line()
    {
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "inspect", Fixture, "--bank", "NO::bank");
        Assert.Equal(1, code);
        Assert.Contains("no bank 'NO::bank' in the dictionary (DC::tdc, REC::Event, REC::Particle, REC::Track)", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await StreamsProcess.RunAsync(60, "inspect", Fixture, "--event", "20");
        Assert.Equal(1, code);
        Assert.Contains("no event 20 (the file has 20: 0-19)", stderr, StringComparison.Ordinal);

        var bytes = File.ReadAllBytes(Fixture);
        bytes[1000 + 28] ^= 0xFF; // the first data record's magic word
        var bad = Path.Combine(dir.Path, "bad.hipo");
        File.WriteAllBytes(bad, bytes);
        (code, _, stderr) = await StreamsProcess.RunAsync(60, "inspect", bad);
        Assert.Equal(1, code);
        Assert.Matches(@"^error: .*bad\.hipo: malformed HIPO: [^\n]+ \(at byte \d+\)\n?$", stderr);
    }

    [Fact]
    public async Task The_clas12_hipo_pipeline_writes_a_file_that_inspect_and_the_replay_pipeline_read()
    {
        var work = Directory.CreateDirectory(Path.Combine(dir.Path, "clas12-hipo")).FullName;
        var pipelines = Path.Combine(StreamsProcess.RepoRoot, "deploy", "pipelines");
        var (code, _, stderr) = await StreamsProcess.RunInAsync(300, work, "run", Path.Combine(pipelines, "clas12-hipo.yaml"), "-n", "300", "--metrics-listen", "off", "--progress", "none");
        Assert.True(code == 0, stderr);
        string stdout;
        (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "inspect", Path.Combine(work, "out", "clas12.hipo"));
        Assert.True(code == 0, stderr);
        Assert.Contains("# 300 events in 1 records, compression LZ4, index record present", stdout, StringComparison.Ordinal);
        Assert.Contains("bank REC::Event events=300 rows=300", stdout, StringComparison.Ordinal);

        var json = Path.Combine(work, "replay.json");
        (code, _, stderr) = await StreamsProcess.RunInAsync(120, work, "run", Path.Combine(pipelines, "hipo-replay.yaml"), "--summary-json", json, "--metrics-listen", "off", "--progress", "none");
        Assert.True(code == 0, stderr);
        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(json));
        Assert.Equal(300, s.Stage("counter").EventsOut);
        (code, stdout, _) = await StreamsProcess.RunAsync(60, "inspect", Path.Combine(work, "out", "skim.hipo"));
        Assert.Equal(0, code);
        Assert.Contains("# schemas in the dictionary (4)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_run_writes_its_tracks_to_out_tracks_hipo()
    {
        var work = Directory.CreateDirectory(Path.Combine(dir.Path, "default")).FullName;
        var json = Path.Combine(work, "summary.json");
        var (code, _, stderr) = await StreamsProcess.RunInAsync(300, work, "run", "-n", "400", "--summary-json", json, "--metrics-listen", "off", "--progress", "none");
        Assert.True(code == 0, stderr);
        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(json));
        var written = s.Stage("hipo").EventsOut;
        Assert.True(written > 0, "no events reached the HIPO sink");
        string stdout;
        (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "inspect", Path.Combine(work, "out", "tracks.hipo"));
        Assert.True(code == 0, stderr);
        Assert.Contains($"# {written} events in 1 records, compression LZ4, index record present", stdout, StringComparison.Ordinal);
        Assert.Contains($"bank RUN::config events={written} rows={written}", stdout, StringComparison.Ordinal);
        Assert.Contains("bank DC::tdc events=0 rows=0", stdout, StringComparison.Ordinal); // raw-hits: false
        Assert.Matches(@"bank REC::Particle events=\d+ rows=[1-9]\d*", stdout);
    }
}

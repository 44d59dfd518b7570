using Streams.Engine.Runtime;

namespace Streams.Integration.Tests;

public sealed class CliTests(TempDir dir) : IClassFixture<TempDir>
{
    private const string Endless = """
        name: endless
        sources: [{name: gen, operator: synthetic, config: {batch-size: 64}}]
        stages: [{name: work, operator: cpu-burn, input: gen, workers: 2, config: {work-us: 20}}]
        sinks: [{name: out, operator: count, input: work}]
        """;

    [Fact]
    public async Task Help_explains_every_command()
    {
        var (code, stdout, _) = await StreamsProcess.RunAsync(60, "--help");
        Assert.Equal(0, code);
        foreach (var c in new[] { "run", "validate", "operators", "bench" }) Assert.Contains(c, stdout, StringComparison.Ordinal);
        (code, stdout, _) = await StreamsProcess.RunAsync(60, "run", "--help");
        Assert.Equal(0, code);
        foreach (var o in new[] { "--duration", "--events", "--summary-json", "--metrics-listen", "--progress" }) Assert.Contains(o, stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_is_printed()
    {
        var (code, stdout, _) = await StreamsProcess.RunAsync(60, "--version");
        Assert.Equal(0, code);
        Assert.StartsWith("0.1.0", stdout.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Synthetic_pipeline_runs_with_an_event_limit_and_writes_a_balanced_summary()
    {
        var json = dir.File("synthetic-summary.json");
        var file = Path.Combine(StreamsProcess.RepoRoot, "deploy", "pipelines", "synthetic.yaml");
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(120, "run", file, "--events", "20000", "--summary-json", json, "--metrics-listen", "off", "--progress", "log");
        Assert.True(code == 0, stderr);
        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(json));
        Assert.Equal("synthetic", s.Pipeline);
        Assert.Equal(new EventTotals(20000, 20000, 0, 0, 0), s.Events);
        Assert.Equal(["generator", "reconstruct", "counter"], s.Stages.Select(x => x.Name));
        Assert.Equal(4, s.Stages[1].MaxWorkers);
        Assert.Contains("events: received 20000, processed 20000", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("report written", stderr, StringComparison.Ordinal); // a named pipeline writes a report only when asked
    }

    [Fact]
    public async Task The_default_runs_the_clas12_chain_over_udp_and_reports_physics()
    {
        var work = Directory.CreateDirectory(dir.File("default-run")).FullName;
        var json = Path.Combine(work, "summary.json");
        var (code, stdout, stderr) = await StreamsProcess.RunInAsync(300, work, "run", "--summary-json", json, "--metrics-listen", "off", "--progress", "log");
        Assert.True(code == 0, stderr);
        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(json));
        Assert.Equal("clas12-local", s.Pipeline);
        Assert.True(s.Events.Balanced);
        var v = s.Sections!["validation"] is System.Text.Json.JsonElement e ? e : default;
        Assert.True(v.GetProperty("efficiency").GetDouble() >= 0.95, v.ToString());
        Assert.True(v.GetProperty("fakeRate").GetDouble() < 0.02, v.ToString());
        Assert.True(v.GetProperty("tracksInAcceptance").GetInt64() > 1000, v.ToString());
        Assert.InRange(v.GetProperty("momentumResolution").GetDouble(), 0.0001, 0.02);
        // The fit's hit residuals per superlayer: centred on zero, narrower than one hit's resolution (300 um, averaged over the track's hits).
        var residuals = v.GetProperty("residualsBySuperlayer").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3, 4, 5, 6], residuals.Select(r => r.GetProperty("superlayer").GetInt32()));
        Assert.All(residuals, r => Assert.InRange(r.GetProperty("meanMicrons").GetDouble(), -10, 10));
        Assert.All(residuals, r => Assert.InRange(r.GetProperty("rmsMicrons").GetDouble(), 30, 300));
        var ejfat = s.Sections["ejfat"] is System.Text.Json.JsonElement j ? j : default;
        Assert.Equal(10000, ejfat.GetProperty("eventsCompleted").GetInt64());
        foreach (var png in new[] { "dpp.png", "efficiency.png", "residuals.png" })
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(work, "out", "validation", png));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }

        Assert.Contains("validation: ", stderr, StringComparison.Ordinal);
        Assert.Contains("events: received", stdout, StringComparison.Ordinal);

        // The embedded default leaves its HTML report in out/report/ (RunReportBrowserTests opens one in a browser).
        var report = Path.Combine(work, "out", "report", "report.html");
        Assert.Contains($"report written to {report}", stderr, StringComparison.Ordinal);
        var html = await File.ReadAllTextAsync(report);
        Assert.Contains("<h2>Physics</h2>", html, StringComparison.Ordinal);
        Assert.Contains("<h2>EJFAT receiving</h2>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_shipped_pipeline_file_validates()
    {
        var files = Directory.GetFiles(Path.Combine(StreamsProcess.RepoRoot, "deploy", "pipelines"), "*.yaml");
        Assert.NotEmpty(files);
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(60, ["validate", .. files]);
        Assert.True(code == 0, stderr);
        Assert.Equal(files.Length, stdout.Split('\n').Count(l => l.Contains(": ok (", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Validate_reports_file_line_and_column_and_fails()
    {
        var bad = dir.Write("bad.yaml", "sources:\n  - {name: gen, operator: synthetic}\nstages:\n  - {name: work, operator: cpu-brun, input: gen}\nsinks:\n  - {name: out, operator: count, input: work, workers: zero}\n");
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "validate", bad);
        Assert.Equal(2, code);
        Assert.Contains($"{bad}:6:", stderr, StringComparison.Ordinal);
        Assert.Contains("expected a whole number", stderr, StringComparison.Ordinal);

        var unknownOp = dir.Write("bad2.yaml", "sources:\n  - {name: gen, operator: synthetic}\nstages:\n  - {name: work, operator: cpu-brun, input: gen}\nsinks:\n  - {name: out, operator: count, input: work}\n");
        (code, _, stderr) = await StreamsProcess.RunAsync(60, "run", unknownOp);
        Assert.Equal(2, code);
        Assert.Contains($"{unknownOp}:4:28: error: unknown operator 'cpu-brun'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ersap_services_yaml_runs_from_the_command_line()
    {
        var json = dir.File("ersap.json");
        var file = Path.Combine(StreamsProcess.RepoRoot, "deploy", "pipelines", "ersap-services.yaml");
        var (code, _, stderr) = await StreamsProcess.RunAsync(120, "run", file, "--summary-json", json, "--metrics-listen", "off");
        Assert.True(code == 0, stderr);
        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(json));
        Assert.Equal(new EventTotals(100000, 99900, 100, 0, 0), s.Events);
        Assert.Contains(s.Errors, e => e.Stage == "QualityCheck" && e.Count == 100);
    }

    [Theory]
    [InlineData("TERM", "SIGTERM")]
    [InlineData("INT", "SIGINT")]
    [InlineData("HUP", "SIGHUP")]
    public async Task A_signal_drains_the_pipeline_and_nothing_is_lost(string signal, string reason)
    {
        var file = dir.Write($"endless-{signal}.yaml", Endless);
        var json = dir.File($"endless-{signal}.json");
        using var p = StreamsProcess.Start("run", file, "--summary-json", json, "--metrics-listen", "off", "--progress", "log", "--progress-interval", "0.5");
        await p.WaitForOutputAsync("progress", 60);
        p.Signal(signal);
        var code = await p.WaitAsync(60);
        Assert.True(code == 0, p.Stderr);
        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(json));
        Assert.StartsWith(reason, s.ExitReason, StringComparison.Ordinal);
        Assert.True(s.Events.Received > 0);
        Assert.Equal(s.Events.Received, s.Events.Processed);
        Assert.Equal(0, s.Events.InFlight);
        Assert.Contains("draining", p.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fatal_failure_ends_the_run_with_status_3()
    {
        var file = dir.Write("fatal.yaml", """
            sources: [{name: gen, operator: synthetic}]
            stages: [{name: work, operator: fault-inject, input: gen, config: {fail-every: 10000, severity: fatal}}]
            sinks: [{name: out, operator: count, input: work}]
            """);
        var (code, stdout, _) = await StreamsProcess.RunAsync(60, "run", file, "--metrics-listen", "off");
        Assert.Equal(3, code);
        Assert.Contains("fatal failure in 'work'", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_busy_metrics_port_is_reported_and_the_run_goes_on()
    {
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "run", "--events", "1000", "--metrics-listen", $"127.0.0.1:{port}");
        Assert.True(code == 0, stderr);
        Assert.Contains("unavailable", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_option_values_are_refused()
    {
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "run", "--metrics-listen", "localhost");
        Assert.NotEqual(0, code);
        Assert.Contains("HOST:PORT", stderr, StringComparison.Ordinal);
        (code, _, _) = await StreamsProcess.RunAsync(60, "run", "--events", "-5");
        Assert.NotEqual(0, code);
        (code, _, stderr) = await StreamsProcess.RunAsync(60, "run", "--report", "/proc/streams-no-such-dir");
        Assert.Equal(2, code);
        Assert.StartsWith("error: --report: ", stderr.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operators_lists_the_catalog_with_parameters()
    {
        var (code, stdout, _) = await StreamsProcess.RunAsync(60, "operators");
        Assert.Equal(0, code);
        foreach (var name in new[] { "synthetic", "cpu-burn", "count", "arrow-file-sink", "arrow-file-source", "work-us" }) Assert.Contains(name, stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_prints_scaling_rows()
    {
        var plot = dir.File("scaling.svg");
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(120, "bench", "--work-us", "50", "--max-threads", "2", "--seconds", "0.5", "--repeats", "1", "--plot", plot);
        Assert.True(code == 0, stderr);
        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).Select(l => l.Split(' ')).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(["1", "2"], rows.Select(r => r[0]));
        Assert.All(rows, r => Assert.True(double.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture) > 0));
        Assert.Contains("<svg", await File.ReadAllTextAsync(plot), StringComparison.Ordinal); // an SVG document (SkiaSharp writes an XML declaration first)
    }
}

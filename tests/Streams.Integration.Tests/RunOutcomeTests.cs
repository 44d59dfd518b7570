using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Streams.Engine.Runtime;
using Streams.TestKit;

namespace Streams.Integration.Tests;

/// <summary>
/// The real <c>streams</c> tells the truth in its exit status, its summary and its files: each way a run can fail
/// (found in issue 15) exits non-zero with a one-line reason, two runs on one node leave each other alone, and the
/// outputs are readable after any stop.
/// </summary>
public sealed class RunOutcomeTests(TempDir dir) : IClassFixture<TempDir>
{
    private static PipelineSummary Summary(string json) => PipelineSummary.FromJson(File.ReadAllText(json));

    [Fact]
    public async Task A_run_in_which_every_event_failed_exits_1()
    {
        var file = dir.Write("all-fail.yaml", """
            sources: [{name: gen, operator: synthetic, config: {count: 1000}}]
            stages: [{name: bad, operator: fault-inject, input: gen, config: {fail-every: 1}}]
            sinks: [{name: out, operator: count, input: bad}]
            """);
        var json = dir.File("all-fail.json");
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "run", file, "--summary-json", json, "--metrics-listen", "off");
        Assert.Equal(1, code);
        Assert.Contains("error: no event was processed: 1000 of 1000 failed", stderr, StringComparison.Ordinal);
        var s = Summary(json);
        Assert.False(s.Ok);
        Assert.Equal(1, s.ExitCode);
    }

    [Fact]
    public async Task A_fatal_failure_in_the_last_batch_of_a_bounded_source_exits_3()
    {
        var file = dir.Write("late-fatal.yaml", """
            sources: [{name: gen, operator: synthetic, config: {count: 1000, batch-size: 1000}}]
            stages: [{name: work, operator: fault-inject, input: gen, config: {fail-every: 999, severity: fatal}}]
            sinks: [{name: out, operator: count, input: work}]
            """);
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "run", file, "--metrics-listen", "off");
        Assert.Equal(3, code);
        Assert.Contains("error: fatal failure in 'work'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_on_a_read_only_mount_is_caught_by_validate_and_refused_by_run()
    {
        using var ro = Tmpfs.Mount(sizeKiB: 64, readOnly: true);
        var file = dir.Write("ro.yaml", $$$"""
            sources: [{name: gen, operator: synthetic, config: {count: 100}}]
            sinks: [{name: file, operator: arrow-file-sink, input: gen, config: {path: "{{{ro.File("events.arrow")}}}"}}]
            """);
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "validate", file);
        Assert.Equal(2, code);
        Assert.Contains($"{file}:2:", stderr, StringComparison.Ordinal);
        Assert.Contains("Read-only file system", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await StreamsProcess.RunAsync(60, "run", file, "--metrics-listen", "off");
        Assert.Equal(4, code);
        Assert.Contains("does not take new files (Read-only file system)", stderr, StringComparison.Ordinal);

        // The command's own summary file is checked before the run too, not found unwritable after it.
        (code, _, stderr) = await StreamsProcess.RunAsync(60, "run", "-n", "10", "--summary-json", ro.File("s.json"), "--metrics-listen", "off");
        Assert.Equal(2, code);
        Assert.Contains("error: --summary-json: cannot write", stderr, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void An_output_folder_the_user_may_not_write_is_refused()
    {
        var locked = Directory.CreateDirectory(dir.File("locked")).FullName;
        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var file = dir.Write("locked.yaml", $$$"""
            sources: [{name: gen, operator: synthetic, config: {count: 100}}]
            sinks: [{name: file, operator: arrow-file-sink, input: gen, config: {path: "{{{locked}}}/events.arrow"}}]
            """);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        // Root may write anywhere: run it as nobody, as a user would meet EACCES.
        var (code, output) = ExternalCommand.Run("setpriv", new Dictionary<string, string> { ["HOME"] = "/tmp", ["DOTNET_CLI_HOME"] = "/tmp" }, 120,
            "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", Path.Combine(AppContext.BaseDirectory, "streams.dll"), "run", file, "--metrics-listen", "off");
        Assert.True(code == 4, output);
        Assert.Contains($"{file}:2:", output, StringComparison.Ordinal);
        Assert.Contains($"folder '{locked}' does not take new files (permission denied)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_disk_exits_4_with_the_events_that_did_not_fit_failed_and_a_readable_file()
    {
        using var disk = Tmpfs.Mount(sizeKiB: 1024);
        var path = disk.File("events.arrow");
        var file = dir.Write("full.yaml", $$$"""
            sources: [{name: gen, operator: synthetic, config: {count: 4096, batch-size: 64, event-size: 2048}}]
            sinks: [{name: file, operator: arrow-file-sink, input: gen, config: {path: "{{{path}}}"}}]
            """);
        var json = dir.File("full.json");
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "run", file, "--summary-json", json, "--metrics-listen", "off");
        Assert.True(code == 4, stderr);
        Assert.Contains("error: output of 'file' could not be written: IOException: No space left on device", stderr, StringComparison.Ordinal);
        var s = Summary(json);
        Assert.True(s.Events.Balanced);
        Assert.True(s.Events.Failed > 0 && s.Events.Processed > 0, s.Events.ToString());
        Assert.Equal(s.Events.Failed, Assert.Single(s.OutputFailures).Events);
        Assert.Equal(s.Events.Processed, ArrowFiles.Rows(path));
        Assert.Contains("output failed [file]", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_receiver_port_another_program_holds_fails_the_run_at_once_with_status_5()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Any, 0));
        var port = ((IPEndPoint)holder.LocalEndPoint!).Port;
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "receive", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", "600", "--metrics-listen", "off");
        Assert.Equal(5, code);
        Assert.Contains($"UDP port 0.0.0.0:{port} is already in use", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_receiver_that_gets_nothing_says_so_and_fails()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Any, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "receive", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", "1", "--metrics-listen", "off");
        Assert.Equal(1, code);
        Assert.Contains("error: no events entered the pipeline", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_default_runs_at_once_each_reconstruct_their_own_events()
    {
        var a = Directory.CreateDirectory(dir.File("default-a")).FullName;
        var b = Directory.CreateDirectory(dir.File("default-b")).FullName;
        using var first = StreamsProcess.StartIn(a, "run", "--summary-json", "s.json", "--progress", "log");
        await first.WaitForOutputAsync("listening on", 120);
        using var second = StreamsProcess.StartIn(b, "run", "--summary-json", "s.json", "--progress", "log");
        var codes = await Task.WhenAll(first.WaitAsync(600), second.WaitAsync(600));
        Assert.True(codes[0] == 0, first.Stderr);
        Assert.True(codes[1] == 0, second.Stderr);
        foreach (var work in new[] { a, b })
        {
            var s = Summary(Path.Combine(work, "s.json"));
            var ejfat = (JsonElement)s.Sections!["ejfat"];
            Assert.Equal(10000, ejfat.GetProperty("eventsCompleted").GetInt64());
            Assert.Equal(0, ejfat.GetProperty("packetsDropped").GetProperty("duplicate").GetInt64()); // no datagram of the other run
            Assert.Equal(10000, ((JsonElement)s.Sections["validation"]).GetProperty("events").GetInt64());
        }

        // Neither took the other's metrics port: the second found the default taken and chose a free one.
        Assert.Contains("metrics at http://127.0.0.1:", first.Stderr, StringComparison.Ordinal);
        Assert.Contains("metrics at http://127.0.0.1:", second.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_N_takes_N_events_through_the_whole_default_chain()
    {
        var work = Directory.CreateDirectory(dir.File("default-n")).FullName;
        var (code, stdout, stderr) = await StreamsProcess.RunInAsync(300, work, "run", "-n", "1000", "--summary-json", "s.json", "--metrics-listen", "off");
        Assert.True(code == 0, stderr);
        var s = Summary(Path.Combine(work, "s.json"));
        Assert.Equal(1000, ((JsonElement)s.Sections!["validation"]).GetProperty("events").GetInt64());
        Assert.Contains("events entered: 1,000 from daq (clas12-sim), 1,000 from receiver (ejfat-receiver)", stdout, StringComparison.Ordinal);
        Assert.Contains("physics: 1,000 events reconstructed and validated: efficiency 0.9", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("HUP")]
    public async Task A_second_signal_aborts_and_leaves_a_readable_arrow_file_and_a_summary_of_what_was_lost(string signal)
    {
        // A slow stage keeps a drain long, so the second signal arrives while the first one's drain is under way.
        var path = dir.File($"abort-{signal}.arrow");
        var json = dir.File($"abort-{signal}.json");
        var file = dir.Write($"abort-{signal}.yaml", $$$"""
            sources: [{name: gen, operator: synthetic, config: {batch-size: 64, event-size: 128}}]
            stages: [{name: slow, operator: cpu-burn, input: gen, queue: 64, config: {work-us: 2000}}]
            sinks: [{name: file, operator: arrow-file-sink, input: slow, config: {path: "{{{path}}}"}}]
            """);
        using var p = StreamsProcess.Start("run", file, "--summary-json", json, "--metrics-listen", "off", "--progress", "log", "--progress-interval", "0.5");
        await Eventually.Until(() => File.Exists(path), "the sink wrote its first batch");
        p.Signal(signal);
        await p.WaitForOutputAsync("draining", 60);
        p.Signal(signal);
        var code = await p.WaitAsync(60);
        Assert.True(code == 130, p.Stderr);
        Assert.Contains("received again: aborting without drain", p.Stderr, StringComparison.Ordinal);
        Assert.Contains("closed after abort: readable", p.Stderr, StringComparison.Ordinal);
        var s = Summary(json);
        Assert.False(s.Ok);
        Assert.Equal(130, s.ExitCode);
        Assert.True(s.Events.InFlight > 0, s.Events.ToString());
        Assert.Contains($"{s.Events.InFlight} event(s) in flight were lost", s.ExitReason, StringComparison.Ordinal);
        Assert.True(ArrowFiles.Rows(path) > 0);
    }
}

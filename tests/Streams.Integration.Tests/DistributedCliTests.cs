using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Streams.Engine.Runtime;

namespace Streams.Integration.Tests;

/// <summary>
/// `streams run --listen` with `streams worker --join` processes over TCP on loopback: workers killed, stopped,
/// leaving, joining late; a coordinator restarted under its workers; pyzmq feeding and consuming a pipeline.
/// </summary>
public sealed class DistributedCliTests(TempDir dir) : IClassFixture<TempDir>
{
    private static string Inv(double v) => v.ToString(CultureInfo.InvariantCulture);

    private string Pipeline(string name, int events, double workUs = 200) => dir.Write($"{name}.yaml", $"""
        name: {name}
        sources: [{"{"}name: src, operator: synthetic, config: {"{"}count: {events}, batch-size: 100{"}"}{"}"}]
        stages: [{"{"}name: work, operator: cpu-burn, input: src, placement: workers, config: {"{"}work-us: {Inv(workUs)}{"}"}{"}"}]
        sinks: [{"{"}name: out, operator: count, input: work{"}"}]
        """);

    // A worker silent for 5 s is dead: on a loaded machine (CI runs test projects side by side) 1.5 s declared live
    // workers dead, so a test could see a death it did not cause.
    private static StreamsProcess Coordinator(string pipeline, int port, string summary, params string[] extra) =>
        StreamsProcess.Start([
            "run", pipeline, "--listen", $"tcp://127.0.0.1:{port}", "--heartbeat", "0.5", "--dead-after", "5",
            "--metrics-listen", "off", "--progress", "log", "--progress-interval", "1", "--summary-json", summary, .. extra]);

    private static StreamsProcess Worker(int port, string name, params string[] extra) =>
        StreamsProcess.Start(["worker", "--join", $"tcp://127.0.0.1:{port}", "--name", name, .. extra]);

    private static JsonElement Workers(string summaryPath) =>
        JsonDocument.Parse(File.ReadAllText(summaryPath)).RootElement.GetProperty("workers");

    private static long Acked(JsonElement workers, string name) =>
        workers.GetProperty("workers").EnumerateArray().Where(w => w.GetProperty("name").GetString() == name).Sum(w => w.GetProperty("batchesAcked").GetInt64());

    [Fact]
    public async Task A_worker_killed_mid_run_loses_nothing()
    {
        var port = Ports.Free();
        var summary = dir.File("kill.json");
        using var coordinator = Coordinator(Pipeline("kill", 20000), port, summary);
        await coordinator.WaitForOutputAsync("listening for workers", 30);
        using var survivor = Worker(port, "survivor");
        using var victim = Worker(port, "victim");
        await coordinator.WaitForOutputAsync("worker victim joined", 30);
        await Task.Delay(1500);
        victim.Signal("KILL");

        Assert.True(await coordinator.WaitAsync(120) == 0, coordinator.Stderr);
        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(summary));
        Assert.Equal(new EventTotals(20000, 20000, 0, 0, 0), s.Events);
        var w = Workers(summary);
        Assert.Equal(1, w.GetProperty("died").GetInt64());
        Assert.True(w.GetProperty("batchesResent").GetInt64() >= 1, "the victim held no batch when it died");
        Assert.Contains("worker victim declared dead", coordinator.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, await survivor.WaitAsync(30));
    }

    [Fact]
    public async Task A_worker_stopped_past_the_deadline_comes_back_and_its_duplicates_are_suppressed()
    {
        var port = Ports.Free();
        var summary = dir.File("stop.json");
        using var coordinator = Coordinator(Pipeline("stop", 80000), port, summary);
        await coordinator.WaitForOutputAsync("listening for workers", 30);
        using var steady = Worker(port, "steady");
        using var sleeper = Worker(port, "sleeper"); // 80,000 events: the steady worker must not finish them all while the sleeper sleeps
        await coordinator.WaitForOutputAsync("worker sleeper joined", 30);
        await Task.Delay(1000);
        sleeper.Signal("STOP");
        await coordinator.WaitForOutputAsync("worker sleeper declared dead", 30);
        await Task.Delay(1000); // the other worker redoes the sleeper's batches
        sleeper.Signal("CONT");

        Assert.True(await coordinator.WaitAsync(240) == 0, coordinator.Stderr);
        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(summary));
        Assert.Equal(new EventTotals(80000, 80000, 0, 0, 0), s.Events); // each event counted once
        Assert.Equal(80000, s.Stages.Single(x => x.Name == "out").EventsIn);
        // Its late answers count once: as duplicates when they come on its old connection (before it learns it was
        // declared dead); those it finishes after joining again it does not send (nobody would take them).
        var w = Workers(summary);
        var duplicates = w.GetProperty("duplicatesSuppressed").GetInt64();
        Assert.True(duplicates == 0 || coordinator.Stderr.Contains("duplicate of", StringComparison.Ordinal), coordinator.Stderr);
        Assert.Equal(2, coordinator.Stderr.Split("worker sleeper joined").Length - 1);
        Assert.Equal(0, w.GetProperty("malformedMessages").GetInt64());
        Assert.DoesNotContain("expelled", coordinator.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workers_join_during_a_run_and_one_leaves_gracefully_on_SIGTERM()
    {
        var port = Ports.Free();
        var summary = dir.File("elastic.json");
        using var coordinator = Coordinator(Pipeline("elastic", 40000), port, summary);
        await coordinator.WaitForOutputAsync("listening for workers", 30);
        using var first = Worker(port, "first");
        await coordinator.WaitForOutputAsync("worker first joined", 30);
        await Task.Delay(1000);
        using var late = Worker(port, "late");
        await coordinator.WaitForOutputAsync("worker late joined", 30);
        await Task.Delay(1000);
        first.Signal("TERM");
        Assert.Equal(0, await first.WaitAsync(30));
        Assert.Contains("drained and left", first.Stderr, StringComparison.Ordinal);

        Assert.True(await coordinator.WaitAsync(120) == 0, coordinator.Stderr);
        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(summary));
        Assert.Equal(new EventTotals(40000, 40000, 0, 0, 0), s.Events);
        Assert.InRange(s.Stages.Single(x => x.Name == "work").MaxWorkers, 1, 2); // the workers' threads (one each), not the in-flight slots
        var w = Workers(summary);
        Assert.Equal(2, w.GetProperty("joined").GetInt64());
        Assert.Equal(1, w.GetProperty("left").GetInt64());
        Assert.Equal(0, w.GetProperty("died").GetInt64());
        Assert.Equal(0, w.GetProperty("batchesResent").GetInt64()); // a graceful leave hands back nothing
        Assert.True(Acked(w, "first") > 0 && Acked(w, "late") > 0);
        Assert.Equal(0, await late.WaitAsync(30));
    }

    [Fact]
    public async Task A_worker_with_leave_after_drains_and_leaves_on_its_own()
    {
        var port = Ports.Free();
        var summary = dir.File("leave-after.json");
        using var coordinator = Coordinator(Pipeline("leave-after", 30000), port, summary);
        await coordinator.WaitForOutputAsync("listening for workers", 30);
        using var stays = Worker(port, "stays");
        using var brief = Worker(port, "brief", "--leave-after", "2");
        Assert.Equal(0, await brief.WaitAsync(30));
        Assert.Contains("--leave-after 2 s reached", brief.Stderr, StringComparison.Ordinal);
        Assert.Contains("drained and left", brief.Stderr, StringComparison.Ordinal);
        Assert.True(await coordinator.WaitAsync(120) == 0, coordinator.Stderr);
        Assert.Equal(new EventTotals(30000, 30000, 0, 0, 0), PipelineSummary.FromJson(await File.ReadAllTextAsync(summary)).Events);
        var w = Workers(summary);
        Assert.Equal((1, 0, 0), (w.GetProperty("left").GetInt64(), w.GetProperty("died").GetInt64(), w.GetProperty("batchesResent").GetInt64()));
        Assert.True(Acked(w, "brief") > 0);
        Assert.Equal(0, await stays.WaitAsync(30));
    }

    [Fact]
    public async Task A_worker_rejoins_a_restarted_coordinator_and_gives_up_on_a_dead_one()
    {
        var port = Ports.Free();
        using var worker = Worker(port, "patient", "--give-up-after", "6");
        using (var lost = Coordinator(Pipeline("lost", 1_000_000), port, dir.File("lost.json")))
        {
            await lost.WaitForOutputAsync("worker patient joined", 30);
            lost.Signal("KILL");
            await lost.WaitAsync(10);
        }

        await worker.WaitForOutputAsync("reconnecting", 30);
        // A restart that takes a while (a loaded machine): the worker must go on trying for its whole --give-up-after
        // from here. It once gave up 1 s after it began to reconnect (6 s from the last word heard, 5 of them spent
        // noticing the silence), and its last HELLO reached the new coordinator as it exited, which then waited for
        // workers until the test timed out.
        await Task.Delay(2000);
        var summary = dir.File("restarted.json");
        using (var again = Coordinator(Pipeline("restarted", 2000), port, summary))
        {
            Assert.True(await again.WaitAsync(60) == 0, again.Stderr + worker.Stderr);
        }

        Assert.Equal(new EventTotals(2000, 2000, 0, 0, 0), PipelineSummary.FromJson(await File.ReadAllTextAsync(summary)).Events);
        Assert.Equal(0, await worker.WaitAsync(30)); // the second coordinator ended the run

        using var orphan = Worker(port, "orphan", "--give-up-after", "2");
        Assert.Equal(3, await orphan.WaitAsync(30));
        Assert.Contains("no answer from the coordinator", orphan.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_coordinator_on_a_port_in_use_says_so_and_exits()
    {
        var port = Ports.Free();
        using var first = Coordinator(Pipeline("port-1", 1_000_000), port, dir.File("port-1.json"));
        await first.WaitForOutputAsync("listening for workers", 30);
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "run", Pipeline("port-2", 10), "--listen", $"tcp://127.0.0.1:{port}", "--metrics-listen", "off");
        Assert.NotEqual(0, code);
        Assert.Contains($"cannot listen on tcp://127.0.0.1:{port}: the address is in use", stderr, StringComparison.Ordinal);
        first.Signal("KILL");
    }

    [Fact]
    public async Task A_pipeline_with_stages_on_workers_needs_listen_and_says_so()
    {
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "run", Pipeline("nolisten", 10), "--metrics-listen", "off");
        Assert.Equal(2, code);
        Assert.Contains("--listen tcp://HOST:PORT", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pyzmq_feeds_a_pipeline_and_consumes_what_it_sends_on()
    {
        var inPort = Ports.Free();
        var outPort = Ports.Free();
        const int batches = 50, perBatch = 20;
        var yaml = dir.Write("zmq-echo.yaml", $$"""
            name: zmq-echo
            sources: [{name: in, operator: zmq-pull, config: {bind: 'tcp://127.0.0.1:{{inPort}}', count: {{batches * perBatch}} } }]
            sinks: [{name: out, operator: zmq-push, input: in, config: {connect: 'tcp://127.0.0.1:{{outPort}}'} }]
            """);
        var summary = dir.File("zmq-echo.json");
        using var streams = StreamsProcess.Start("run", yaml, "--metrics-listen", "off", "--progress", "none", "--summary-json", summary, "--duration", "90");
        await streams.WaitForOutputAsync("zmq-pull bound to", 30);

        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "zmq_peer.py"), $"tcp://127.0.0.1:{inPort}", $"tcp://127.0.0.1:{outPort}", $"{batches}", $"{perBatch}" }) psi.ArgumentList.Add(a);
        using var peer = Process.Start(psi)!;
        var stdout = peer.StandardOutput.ReadToEndAsync();
        var stderr = peer.StandardError.ReadToEndAsync();
        Assert.True(peer.WaitForExit(90_000), "pyzmq peer did not finish");
        Assert.True(peer.ExitCode == 0, $"pyzmq peer failed (is python3-zmq installed? deploy/scripts/install-test-deps.sh):\n{await stderr}\nstreams:\n{streams.Stderr}");
        var report = JsonDocument.Parse(await stdout).RootElement;
        Assert.Equal(batches * perBatch, report.GetProperty("received").GetInt32());
        Assert.Equal("binary/pyzmq", report.GetProperty("types")[0].GetString());

        Assert.True(await streams.WaitAsync(60) == 0, streams.Stderr);
        Assert.Equal(new EventTotals(batches * perBatch, batches * perBatch, 0, 0, 0), PipelineSummary.FromJson(await File.ReadAllTextAsync(summary)).Events);
        Assert.Contains("malformed message dropped", streams.Stderr, StringComparison.Ordinal);
        var zmq = JsonDocument.Parse(await File.ReadAllTextAsync(summary)).RootElement.GetProperty("zmq");
        Assert.Equal(1, zmq.GetProperty("malformedMessages").GetInt64()); // pyzmq's one malformed message, in the summary too
        Assert.Equal(batches, zmq.GetProperty("batches").GetInt64());
    }

    [Fact]
    public async Task A_hostile_pyzmq_worker_gets_its_events_failed_and_cannot_flood_the_log()
    {
        var port = Ports.Free();
        var summary = dir.File("hostile.json");
        using var coordinator = Coordinator(Pipeline("hostile", 2000, workUs: 1), port, summary);
        await coordinator.WaitForOutputAsync("listening for workers", 30);
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "zmq_hostile_worker.py"), $"tcp://127.0.0.1:{port}", "1000" }) psi.ArgumentList.Add(a);
        using var peer = Process.Start(psi)!;
        var stdout = peer.StandardOutput.ReadToEndAsync();
        var stderr = peer.StandardError.ReadToEndAsync();
        var code = await coordinator.WaitAsync(120);
        Assert.True(peer.WaitForExit(60_000), "pyzmq peer did not finish");
        Assert.True(peer.ExitCode == 0, $"pyzmq peer failed (is python3-zmq installed?):\n{await stderr}\nstreams:\n{coordinator.Stderr}");
        Assert.True(JsonDocument.Parse(await stdout).RootElement.GetProperty("answered").GetInt32() >= 20);

        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(summary));
        Assert.Equal(new EventTotals(2000, 0, 2000, 0, 0), s.Events); // every event failed, with a reason, none lost
        Assert.Equal(1, code); // and a run in which every event failed is not a success
        Assert.Equal("no event was processed: 2000 of 2000 failed", s.ExitReason);
        Assert.Contains(s.Errors, e => e.Message.Contains("junk RESULT", StringComparison.Ordinal) || e.Message.Contains("RESULT of", StringComparison.Ordinal));
        var w = Workers(summary);
        Assert.True(w.GetProperty("malformedMessages").GetInt64() >= 1000 + 20, w.ToString());
        var lines = coordinator.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.True(l.Length < 2000, $"a log line of {l.Length} chars"));
        Assert.True(lines.Count(l => l.Contains("[coordinator]", StringComparison.Ordinal)) < 40, coordinator.Stderr);
    }
}

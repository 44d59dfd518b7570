using System.Text.Json;
using Streams.Control.Nodes;
using Streams.Jrm;

namespace Streams.Integration.Tests;

/// <summary>
/// deploy/slurm/local-cluster.sh brings up a real one-node SLURM (slurmctld, slurmd, munge) on which a batch job runs
/// the real `streams` command: the base the SLURM pilot jobs of the node providers build on.
/// </summary>
public sealed partial class SlurmClusterTests(TempDir dir) : IClassFixture<TempDir>
{
    private static readonly string Script = Path.Combine(StreamsProcess.RepoRoot, "deploy", "slurm", "local-cluster.sh");

    internal static readonly Dictionary<string, string> SlurmEnvironment = new() { ["SLURM_CONF"] = "/tmp/streams-slurm/slurm.conf" };

    private static (int Code, string Output) Run(string file, params string[] args) => ExternalCommand.Run(file, SlurmEnvironment, 300, args);

    /// <summary>Starts the local one-node SLURM (a no-op when it runs); fails the test when it does not start.</summary>
    internal static void StartCluster() => Assert.True(Run("bash", Script, "start").Code == 0, "local SLURM did not start");

    /// <summary>A SLURM provider whose pilots run this build's `streams` and join 127.0.0.1:<paramref name="port"/>.</summary>
    private SlurmProvider Pilots(int port, string stateFolder) => new(
        new SlurmOptions
        {
            Join = $"tcp://127.0.0.1:{port}",
            StreamsCommand = $"dotnet {Path.Combine(AppContext.BaseDirectory, "streams.dll")}",
            StateDirectory = dir.File(stateFolder),
            Walltime = "00:10:00",
            DrainBeforeEndSeconds = 60,
        },
        new ProcessRunner(environment: SlurmEnvironment));

    [Fact]
    public async Task A_batch_job_on_the_local_cluster_runs_the_streams_command()
    {
        var (code, output) = Run("bash", Script, "start");
        Assert.True(code == 0, $"local-cluster.sh start failed (it installs slurm-wlm and munge as root):\n{output}");

        var job = dir.Write("pilot.sh", $"""
            #!/bin/bash
            echo "job $SLURM_JOB_ID on $(hostname)"
            dotnet {Path.Combine(AppContext.BaseDirectory, "streams.dll")} --version
            """);
        var log = dir.File("pilot-%j.out");
        var (sb, submitted) = Run("sbatch", "--parsable", "-J", "streams-it", "-t", "5", "-o", log, job);
        Assert.True(sb == 0, submitted);
        var id = submitted.Trim().Split(';')[0];

        var state = "";
        await Eventually.UntilAsync(() =>
        {
            state = Run("squeue", "-h", "-t", "all", "-j", id, "-o", "%T").Output.Trim();
            return Task.FromResult(state is not ("PENDING" or "CONFIGURING" or "RUNNING" or "COMPLETING"));
        }, $"job {id} ended", every: TimeSpan.FromMilliseconds(500));

        var text = await File.ReadAllTextAsync(log.Replace("%j", id, StringComparison.Ordinal));
        Assert.True(state is "COMPLETED" or "", $"job {id} ended {state}:\n{text}"); // a job gone from squeue has completed
        Assert.Contains($"job {id} on", text, StringComparison.Ordinal);
        Assert.Matches(@"\d+\.\d+\.\d+", text);
        Assert.Equal(0, Run("bash", Script, "status").Code);
    }

    [Fact]
    public async Task A_slurm_pilot_joins_the_coordinator_takes_work_and_leaves_when_released_with_drain()
    {
        Assert.True(Run("bash", Script, "start").Code == 0, "local SLURM did not start");
        var port = Ports.Free();
        var yaml = dir.Write("slurm-pilot.yaml", """
            name: slurm-pilot
            sources: [{name: src, operator: synthetic, config: {rate: 2000, batch-size: 50}}]
            stages: [{name: work, operator: cpu-burn, input: src, placement: workers, config: {work-us: 100}}]
            sinks: [{name: out, operator: count, input: work}]
            """);
        var summary = dir.File("slurm-pilot.json");
        using var coordinator = StreamsProcess.Start("run", yaml, "--listen", $"tcp://127.0.0.1:{port}", "--metrics-listen", "off",
            "--progress", "log", "--progress-interval", "1", "--summary-json", summary, "--duration", "120", "--worker-wait", "5");
        await coordinator.WaitForOutputAsync("listening for workers", 30);

        var provider = Pilots(port, "slurm-state");
        var job = await provider.RequestAsync();
        await coordinator.WaitForOutputAsync($"worker slurm-{job} joined", 90);
        Assert.Equal(NodeState.Ready, (await provider.ListAsync()).Single(n => n.Id == job).State);
        await Task.Delay(2000); // it takes work

        await provider.ReleaseAsync(job, drain: true);
        await coordinator.WaitForOutputAsync($"worker slurm-{job} left", 60);
        await Eventually.UntilAsync(async () => !(await provider.ListAsync()).Any(n => n.Id == job && n.State is NodeState.Ready or NodeState.Booting), $"pilot {job} no longer booting or ready", every: TimeSpan.FromMilliseconds(500));
        Assert.DoesNotContain(await provider.ListAsync(), n => n.Id == job && n.State is NodeState.Ready or NodeState.Booting);

        // With no worker left, what still waits is failed after --worker-wait (counted, not lost) and the books balance.
        coordinator.Signal("TERM");
        Assert.True(await coordinator.WaitAsync(60) == 0, coordinator.Stderr);
        var workers = JsonDocument.Parse(await File.ReadAllTextAsync(summary)).RootElement.GetProperty("workers");
        Assert.Equal(1, workers.GetProperty("left").GetInt64());
        Assert.Equal(0, workers.GetProperty("died").GetInt64());
        Assert.True(workers.GetProperty("workers")[0].GetProperty("batchesAcked").GetInt64() > 0, coordinator.Stderr);
    }

    [Fact]
    public async Task Prometheus_finds_and_scrapes_the_coordinator_and_a_slurm_started_worker_through_the_discovery_file_streams_writes()
    {
        Assert.True(Run("bash", Script, "start").Code == 0, "local SLURM did not start");
        var (port, metricsPort, promPort) = (Ports.Free(), Ports.Free(), Ports.Free());
        var yaml = dir.Write("scraped-pilot.yaml", """
            name: scraped-pilot
            sources: [{name: src, operator: synthetic, config: {rate: 1000, batch-size: 50}}]
            stages: [{name: work, operator: cpu-burn, input: src, placement: workers, config: {work-us: 100}}]
            sinks: [{name: out, operator: count, input: work}]
            """);
        var targets = dir.File("sd/streams-targets.json");
        using var coordinator = StreamsProcess.Start("run", yaml, "--listen", $"tcp://127.0.0.1:{port}", "--metrics-listen", $"127.0.0.1:{metricsPort}",
            "--prometheus-sd", targets, "--progress", "none", "--duration", "120", "--worker-wait", "5");
        await coordinator.WaitForOutputAsync("listening for workers", 30);
        var config = dir.Write("prometheus-sd.yml", $"""
            global: {"{"}scrape_interval: 1s, evaluation_interval: 1s{"}"}
            scrape_configs:
              - job_name: streams
                file_sd_configs: [{"{"}files: ['{targets}'], refresh_interval: 1s{"}"}]
            """);
        using var prom = PrometheusServer.Start(config, dir.File("tsdb-sd"), promPort);
        var provider = Pilots(port, "slurm-state-sd");
        var job = await provider.RequestAsync();
        try
        {
            await coordinator.WaitForOutputAsync($"worker slurm-{job} joined", 90);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{promPort}/"), Timeout = TimeSpan.FromSeconds(5) };
            Assert.Equal(1, await PrometheusServer.WaitForValueAsync(http, "up{role=\"coordinator\",pipeline=\"scraped-pilot\"}", v => v == 1));
            Assert.Equal(1, await PrometheusServer.WaitForValueAsync(http, $"up{{role=\"worker\",worker=\"slurm-{job}\"}}", v => v == 1));
            Assert.True(await PrometheusServer.WaitForValueAsync(http, $"streams_worker_process_batches_total{{worker=\"slurm-{job}\"}}", v => v > 0) > 0);
            Assert.Equal(1, await PrometheusServer.WaitForValueAsync(http, "streams_workers_alive{role=\"coordinator\"}", v => v == 1));

            // Once the worker has left, it is no longer a target.
            await provider.ReleaseAsync(job, drain: true);
            await coordinator.WaitForOutputAsync($"worker slurm-{job} left", 60);
            await Eventually.WaitUntil(() => !File.ReadAllText(targets).Contains($"slurm-{job}", StringComparison.Ordinal));
            Assert.DoesNotContain($"slurm-{job}", File.ReadAllText(targets), StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{metricsPort}", File.ReadAllText(targets), StringComparison.Ordinal);
        }
        finally
        {
            prom.Kill();
            await prom.WaitForExitAsync();
            await provider.ReleaseAsync(job, drain: false);
        }

        coordinator.Signal("TERM");
        Assert.True(await coordinator.WaitAsync(60) == 0, coordinator.Stderr);
    }

    [Theory]
    [InlineData("elastic-local.yaml")]
    [InlineData("elastic-slurm.yaml")]
    public async Task The_controller_asks_for_nodes_when_the_rate_rises_and_releases_them_when_it_falls(string pipeline)
    {
        if (pipeline.Contains("slurm", StringComparison.Ordinal)) Assert.True(Run("bash", Script, "start").Code == 0, "local SLURM did not start");
        var summary = dir.File(pipeline + ".json");
        using var coordinator = StreamsProcess.StartWith(dir.Path, SlurmEnvironment,
            "run", Path.Combine(StreamsProcess.RepoRoot, "deploy", "pipelines", pipeline), "--listen", $"tcp://127.0.0.1:{Ports.Free()}",
            "--duration", "40", "--metrics-listen", "off", "--progress", "log", "--summary-json", summary);
        Assert.True(await coordinator.WaitAsync(120) == 0, coordinator.Stderr);

        var root = JsonDocument.Parse(await File.ReadAllTextAsync(summary)).RootElement;
        var events = root.GetProperty("events");
        Assert.True(events.GetProperty("received").GetInt64() > 1000, coordinator.Stderr); // fewer on a loaded machine: backpressure
        Assert.Equal(events.GetProperty("received").GetInt64(), events.GetProperty("processed").GetInt64()); // zero lost
        var nodes = root.GetProperty("nodes");
        Assert.True(nodes.GetProperty("requested").GetInt32() >= 1, coordinator.Stderr);
        Assert.True(nodes.GetProperty("joined").GetInt32() >= 1, coordinator.Stderr);
        Assert.True(nodes.GetProperty("released").GetInt32() >= 1, "no node released after the rate fell:\n" + coordinator.Stderr);
        Assert.Equal(0, nodes.GetProperty("failed").GetInt32());
        var workers = root.GetProperty("workers");
        Assert.True(workers.GetProperty("left").GetInt64() >= 1, coordinator.Stderr); // drained, not killed
        Assert.True(workers.GetProperty("died").GetInt64() == 0, $"a worker was declared dead:\n{workers}\n{coordinator.Stderr}");
    }

    [Fact]
    public async Task A_second_independent_cluster_with_one_cpu_runs_beside_the_first_and_its_second_job_queues()
    {
        StartCluster();
        var second = new Dictionary<string, string> { ["SLURM_CONF"] = "/tmp/streams-slurm2/slurm.conf" };
        Assert.True(ExternalCommand.Run("bash", second, 300, Script, "start", "2").Code == 0, "the second cluster did not start");
        try
        {
            var jobs = Enumerable.Range(0, 2).Select(_ => ExternalCommand.Run("sbatch", second, 60, "--parsable", "-n", "1", "-o", "/dev/null", "--wrap", "sleep 30").Output.Trim()).ToList();
            var states = "";
            await Eventually.Until(() => (states = ExternalCommand.Run("squeue", second, 60, "-h", "-o", "%T", $"--job={string.Join(',', jobs)}").Output).Contains("RUNNING", StringComparison.Ordinal), "a job runs on the second cluster");
            Assert.Contains("PENDING", states, StringComparison.Ordinal); // one CPU: the other waits
            Assert.Matches(@"ClusterName\s+= streams2\s", ExternalCommand.Run("scontrol", second, 60, "show", "config").Output);
            Assert.Matches(@"ClusterName\s+= streams\s", ExternalCommand.Run("scontrol", SlurmEnvironment, 60, "show", "config").Output); // the first, untouched
            ExternalCommand.Run("scancel", second, 60, [.. jobs]);
        }
        finally
        {
            ExternalCommand.Run("bash", second, 60, Script, "stop", "2");
        }
    }

    [Fact]
    public Task Slurm_pilots_become_node_pipelines_behind_the_load_balancer_that_take_slots_drain_and_leave_and_none_is_lost()
    {
        StartCluster();
        return ElasticNodesScenario.RunAsync(dir, "slurm", SlurmEnvironment);
    }

    [Fact]
    public async Task A_pilot_near_its_walltime_is_replaced_while_it_still_works_and_nothing_is_lost()
    {
        Assert.True(Run("bash", Script, "start").Code == 0, "local SLURM did not start");
        var summary = dir.File("slurm-walltime.json");
        using var coordinator = StreamsProcess.StartWith(dir.Path, SlurmEnvironment,
            "run", Path.Combine(StreamsProcess.RepoRoot, "deploy", "pipelines", "slurm-walltime.yaml"), "--listen", $"tcp://127.0.0.1:{Ports.Free()}",
            "--duration", "130", "--metrics-listen", "off", "--progress", "log", "--summary-json", summary);
        Assert.True(await coordinator.WaitAsync(300) == 0, coordinator.Stderr);
        Assert.Contains("is near its end (walltime or lifetime) and drains on its own", coordinator.Stderr, StringComparison.Ordinal);

        var root = JsonDocument.Parse(await File.ReadAllTextAsync(summary)).RootElement;
        var events = root.GetProperty("events");
        Assert.True(events.GetProperty("received").GetInt64() > 10_000, coordinator.Stderr);
        Assert.Equal(events.GetProperty("received").GetInt64(), events.GetProperty("processed").GetInt64()); // zero lost
        var nodes = root.GetProperty("nodes");
        Assert.True(nodes.GetProperty("requested").GetInt32() >= 2, coordinator.Stderr); // the first pilot and its replacement
        Assert.True(nodes.GetProperty("joined").GetInt32() >= 2, coordinator.Stderr);
        Assert.Equal(0, root.GetProperty("workers").GetProperty("died").GetInt64());
    }
}

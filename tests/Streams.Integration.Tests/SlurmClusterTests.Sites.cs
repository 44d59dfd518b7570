using System.Text.Json;
using Streams.Engine.Runtime;

namespace Streams.Integration.Tests;

/// <summary>Two real SLURM clusters as two sites of one pool (control.sites), one of whose slurmctld stops mid-run.</summary>
public sealed partial class SlurmClusterTests
{
    private static readonly Dictionary<string, string> SecondCluster = new() { ["SLURM_CONF"] = "/tmp/streams-slurm2/slurm.conf" };

    [Fact]
    public async Task Two_clusters_are_two_sites_and_when_one_slurmctld_stops_its_booting_pilot_is_asked_for_at_the_other()
    {
        StartCluster();
        Assert.True(ExternalCommand.Run("bash", SecondCluster, 300, Script, "start", "2").Code == 0, "the second cluster did not start");
        // The second cluster's one CPU is taken: its pilot queues (booting) when its slurmctld stops.
        Assert.Equal(0, ExternalCommand.Run("sbatch", SecondCluster, 60, "--parsable", "-n", "1", "-o", "/dev/null", "--wrap", "sleep 180").Code);
        var work = dir.File("two-clusters");
        Directory.CreateDirectory(work);
        await File.WriteAllTextAsync(Path.Combine(work, "sites.yaml"), """
            sites:
              - {name: hpc2, provider: slurm, quota-nodes: 1, cores: 1, boot-p50: 5, boot-p90: 20, cost: 0.5, settings: {slurm-conf: /tmp/streams-slurm2/slurm.conf}}
              - {name: hpc1, provider: slurm, quota-nodes: 1, cores: 1, boot-p50: 5, boot-p90: 20, cost: 2, settings: {slurm-conf: /tmp/streams-slurm/slurm.conf}}
            """);
        var pipeline = Path.Combine(work, "two-clusters.yaml");
        await File.WriteAllTextAsync(pipeline, """
            name: two-clusters
            control: {sites: sites.yaml, interval: 1, min-nodes: 1, max-nodes: 1, service-rate: 1000}
            sources: [{name: src, operator: synthetic, config: {rate: 200, batch-size: 10}}]
            stages: [{name: work, operator: cpu-burn, input: src, placement: workers, config: {work-us: 100}}]
            sinks: [{name: out, operator: count, input: work}]
            """);
        var (metrics, summary) = (Ports.Free(), Path.Combine(work, "summary.json"));
        var endpoint = $"127.0.0.1:{metrics}";
        try
        {
            using var run = StreamsProcess.StartIn(work, "run", pipeline, "--listen", $"tcp://127.0.0.1:{Ports.Free()}", "--metrics-listen", endpoint,
                "--summary-json", summary, "--progress", "log", "--duration", "300");
            async Task<JsonElement> Site(string name)
            {
                var (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "sites", "status", "--from", endpoint, "--json");
                if (code != 0) return default;
                return JsonDocument.Parse(stdout).RootElement.GetProperty("sites").EnumerateArray().Single(s => s.GetProperty("site").GetString() == name);
            }

            await Eventually.UntilAsync(async () => (await Site("hpc2")) is { ValueKind: JsonValueKind.Object } s && s.GetProperty("booting").GetInt32() == 1,
                $"the pilot queues at the cheap site\n{run.Stderr}", every: TimeSpan.FromMilliseconds(500));

            // The second cluster's slurmctld stops (slurmd and the blocker go on): squeue there fails, the site is down,
            // its queued pilot is given up and asked for at the other cluster, whose pilot joins.
            var pid = File.ReadAllText("/tmp/streams-slurm2/slurmctld.pid").Trim();
            Assert.Equal(0, ExternalCommand.Run("kill", null, 30, pid).Code);
            await Eventually.UntilAsync(async () => (await Site("hpc1")) is { ValueKind: JsonValueKind.Object } s && s.GetProperty("ready").GetInt32() == 1,
                $"a pilot joins at the other cluster\n{run.Stderr}", every: TimeSpan.FromMilliseconds(500));
            var hpc2 = await Site("hpc2");
            Assert.Equal("down", hpc2.GetProperty("health").GetString());
            Assert.Contains("sites: hpc2 does not answer", run.Stderr, StringComparison.Ordinal);
            Assert.Matches(@"worker slurm-hpc1-\d+ joined", run.Stderr);

            run.Signal("TERM");
            Assert.True(await run.WaitAsync(120) == ExitCodes.Ok, run.Stderr);
            var s = JsonDocument.Parse(await File.ReadAllTextAsync(summary)).RootElement;
            Assert.Equal(s.GetProperty("events").GetProperty("received").GetInt64(), s.GetProperty("events").GetProperty("processed").GetInt64()); // zero lost
            var sites = s.GetProperty("sites");
            Assert.Equal((1, 1, "down"), (sites.GetProperty("hpc2").GetProperty("requested").GetInt32(), sites.GetProperty("hpc2").GetProperty("failed").GetInt32(),
                sites.GetProperty("hpc2").GetProperty("health").GetString()));
            Assert.True(sites.GetProperty("hpc2").GetProperty("timesDown").GetInt32() >= 1);
            Assert.Equal(1, sites.GetProperty("hpc1").GetProperty("joined").GetInt32());
            Assert.True(sites.GetProperty("hpc1").GetProperty("joinMeasured").GetBoolean()); // the learned time to join is reported
        }
        finally
        {
            ExternalCommand.Run("bash", SecondCluster, 60, Script, "stop", "2"); // its slurmd, the blocker with it
            var state = Path.Combine(work, "out", "nodes", "hpc1");
            foreach (var f in Directory.Exists(state) ? Directory.EnumerateFiles(state, "slurm-jobs.json") : [])
            {
                foreach (var job in JsonDocument.Parse(File.ReadAllText(f)).RootElement.EnumerateObject()) ExternalCommand.Run("scancel", SlurmEnvironment, 60, job.Name);
            }
        }
    }
}

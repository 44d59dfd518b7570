using System.Text.Json;
using Streams.Cli.Commands;
using Streams.Control.Sites;
using Streams.Engine.Runtime;
using Streams.Jrm;

namespace Streams.Integration.Tests;

/// <summary>
/// `streams sites status` and the summary's "sites" section, end to end: a run whose node provider is two local sites
/// (control.sites), its sites read from its metrics endpoint while it runs; bad sources give one error line.
/// </summary>
public sealed class SitesCliTests(TempDir dir) : IClassFixture<TempDir>
{
    private const string TwoSites = """
        sites:
          - {name: near, provider: local, quota-nodes: 1, cores: 1, boot-p50: 2, boot-p90: 5, link-gbps: 10, ingest-gbps: 0.8, cost: 0.1, max-pending: 1}
          - {name: far, provider: local, quota-nodes: 2, cores: 1, boot-p50: 3, boot-p90: 8, cost: 1, budget-node-hours: 5}
        """;

    private static async Task<JsonElement> StatusAsync(string endpoint)
    {
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "sites", "status", "--from", endpoint, "--json");
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement;
    }

    private static JsonElement Site(JsonElement status, string name) => status.GetProperty("sites").EnumerateArray().Single(s => s.GetProperty("site").GetString() == name);

    [Fact]
    public async Task Sites_status_reads_a_running_run_s_sites_and_the_summary_tells_per_site_what_happened()
    {
        var work = dir.File("two-sites");
        Directory.CreateDirectory(work);
        await File.WriteAllTextAsync(Path.Combine(work, "sites.yaml"), TwoSites);
        var pipeline = Path.Combine(work, "sited.yaml");
        await File.WriteAllTextAsync(pipeline, """
            name: sited
            control: {sites: sites.yaml, interval: 1, min-nodes: 2, max-nodes: 3, service-rate: 1000}
            sources: [{name: src, operator: synthetic, config: {rate: 500, batch-size: 10}}]
            stages: [{name: work, operator: cpu-burn, input: src, placement: workers, config: {work-us: 100}}]
            sinks: [{name: out, operator: count, input: work}]
            """);
        var (metrics, summary) = (Ports.Free(), Path.Combine(work, "summary.json"));
        using var run = StreamsProcess.StartIn(work, "run", pipeline, "--listen", "tcp://127.0.0.1:0", "--metrics-listen", $"127.0.0.1:{metrics}",
            "--summary-json", summary, "--progress", "log", "--duration", "300");
        var endpoint = $"127.0.0.1:{metrics}";

        // min-nodes 2: the cheap site's one node, then one at the other; both join.
        JsonElement status = default;
        await Eventually.UntilAsync(async () =>
        {
            if (run.Child.HasExited) throw new InvalidOperationException($"the run ended early:\n{run.Stderr}");
            var (code, stdout, _) = await StreamsProcess.RunAsync(60, "sites", "status", "--from", endpoint, "--json");
            if (code != 0) return false;
            status = JsonDocument.Parse(stdout).RootElement;
            return status.GetProperty("sites").EnumerateArray().Sum(s => s.GetProperty("ready").GetInt32()) >= 2;
        }, $"two nodes ready at the sites\n{run.Stderr}", every: TimeSpan.FromMilliseconds(500));
        Assert.Equal(["near", "far"], status.GetProperty("sites").EnumerateArray().Select(s => s.GetProperty("site").GetString()));
        var near = Site(status, "near");
        Assert.Equal(("sited", "local", "up", 1, 1), (near.GetProperty("pipeline").GetString(), near.GetProperty("provider").GetString(), near.GetProperty("health").GetString(),
            near.GetProperty("ready").GetInt32(), near.GetProperty("quotaNodes").GetInt32()));
        Assert.Equal(0.8, near.GetProperty("bandwidthUsedGbps").GetDouble(), 6); // one running node x 0.8 Gbit/s
        Assert.Equal(10, near.GetProperty("bandwidthShareGbps").GetDouble());
        Assert.True(near.GetProperty("joinMeasured").GetBoolean());
        var far = Site(status, "far");
        Assert.True(far.GetProperty("ready").GetInt32() >= 1);
        Assert.False(far.TryGetProperty("bandwidthShareGbps", out _)); // no link share: no limit
        Assert.InRange(far.GetProperty("budgetLeftNodeHours").GetDouble(), 4.9, 5);

        // The table says the same.
        var (tcode, table, _) = await StreamsProcess.RunAsync(60, "sites", "status", "--from", endpoint);
        Assert.Equal(0, tcode);
        Assert.Contains("sites of pipeline 'sited' at", table, StringComparison.Ordinal);
        Assert.Matches(@"near\s+local\s+up\s+0\s+1\s+0\s+1\s", table);

        run.Signal("TERM");
        Assert.True(await run.WaitAsync(120) == ExitCodes.Ok, run.Stderr);
        var sites = JsonDocument.Parse(await File.ReadAllTextAsync(summary)).RootElement.GetProperty("sites");
        Assert.Equal(1, sites.GetProperty("near").GetProperty("joined").GetInt32());
        Assert.True(sites.GetProperty("far").GetProperty("joined").GetInt32() >= 1);
        Assert.Equal("up", sites.GetProperty("far").GetProperty("health").GetString());
        Assert.True(sites.GetProperty("near").GetProperty("joinMeasured").GetBoolean());
        Assert.True(sites.GetProperty("near").GetProperty("nodeHours").GetDouble() >= 0);
        Assert.Contains("worker local-near-", run.Stderr, StringComparison.Ordinal); // each site names its worker processes apart
        Assert.Contains("worker local-far-", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_from_address_is_one_error_line_and_a_non_zero_exit()
    {
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "sites", "status", "--from", $"127.0.0.1:{Ports.Free()}");
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: cannot read http://127.0.0.1:", line, StringComparison.Ordinal);

        var (usage, _, said) = await StreamsProcess.RunAsync(60, "sites", "status", "--from", "nowhere");
        Assert.Equal(2, usage);
        Assert.StartsWith("error: --from 'nowhere': give HOST:PORT", said, StringComparison.Ordinal);
        var (neither, _, why) = await StreamsProcess.RunAsync(60, "sites", "status");
        Assert.Equal(2, neither);
        Assert.StartsWith("error: give --from HOST:PORT (a running run) or --sites FILE (no run)", why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_sites_file_each_site_is_asked_once_and_one_that_does_not_answer_is_down()
    {
        var file = dir.Write("polled.yaml", """
            sites:
              - {name: here, provider: local, quota-nodes: 2, cores: 2, boot-p50: 4, boot-p90: 9}
              - name: gone
                provider: slurm
                quota-nodes: 3
                budget-node-hours: 12
                settings: {slurm-conf: no-such/slurm.conf}
            """);
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "sites", "status", "--sites", file, "--json");
        Assert.True(code == 0, stderr);
        var status = JsonDocument.Parse(stdout).RootElement;
        var here = Site(status, "here");
        Assert.Equal(("up", 2, 4.0, 9.0, false), (here.GetProperty("health").GetString(), here.GetProperty("quotaNodes").GetInt32(),
            here.GetProperty("joinP50Seconds").GetDouble(), here.GetProperty("joinP90Seconds").GetDouble(), here.GetProperty("joinMeasured").GetBoolean()));
        Assert.True(here.GetProperty("freeCores").GetInt32() >= 0);
        var gone = Site(status, "gone");
        Assert.Equal(("down", 12.0), (gone.GetProperty("health").GetString(), gone.GetProperty("budgetLeftNodeHours").GetDouble()));
        Assert.Contains(Path.Combine(dir.Path, "no-such", "slurm.conf"), gone.GetProperty("note").GetString(), StringComparison.Ordinal); // relative to the sites file
    }

    [Fact]
    public void A_slurm_site_runs_its_commands_with_its_own_slurm_conf_and_cluster_and_names_its_workers_by_site()
    {
        var site = SitesFile.Parse("""
            sites:
              - {name: hpc2, provider: slurm, settings: {slurm-conf: /tmp/streams-slurm2/slurm.conf, cluster: streams2}}
            """, "s.yaml").Single();
        var o = NodeProviders.ForSite(new SlurmOptions { StreamsCommand = "streams", StateDirectory = dir.File("hpc2") }, site);
        Assert.Equal("/tmp/streams-slurm2/slurm.conf", o.Environment!["SLURM_CONF"]);
        Assert.Equal(("streams2", "slurm-hpc2"), (o.Cluster, o.NamePrefix));
    }
}

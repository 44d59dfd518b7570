using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Streams.Control.Live;
using Streams.Control.Nodes;
using Streams.Control.Sites;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.TestKit;

namespace Streams.Control.Tests;

/// <summary>
/// The summary's <c>"sites"</c> section, on a fake clock with fake sites: per site what was asked and given, the learned
/// join times (measured or the prior), health and times down; a site that fails loses its share to the others and says so.
/// </summary>
public sealed class SiteSummaryTests
{
    private static readonly NodeGuards Guards = new() { CallTimeoutSeconds = 30, JoinTimeoutSeconds = 900, MinLifetimeSeconds = 0, YoungSeconds = 10 };

    private readonly FakeTimeProvider _time = new();
    private readonly FakeSiteNodes _local = new("local");
    private readonly FakeSiteNodes _hpc = new("hpc");
    private readonly FakeSiteNodes _cloud = new("cloud");

    private MultiSiteProvider Make() => new(
        [
            new SiteProvider(new SiteSpec { Name = "local", CostWeight = 0.1, Boot = new BootPrior(8, 20), QuotaNodes = 1, MaxPending = 1 }, _local),
            new SiteProvider(new SiteSpec { Name = "hpc", CostWeight = 1, Boot = new BootPrior(240, 720), QuotaNodes = 8, MaxPending = 3, BudgetNodeHours = 100 }, _hpc),
            new SiteProvider(new SiteSpec { Name = "cloud", CostWeight = 4, Boot = new BootPrior(60, 110), QuotaNodes = 6, MaxPending = 6 }, _cloud),
        ],
        Guards, _time, new SiteMatcher(), new SiteHealthSettings { HalfLifeSeconds = 300, ProbeIntervalSeconds = 20 });

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    [Fact]
    public async Task A_site_that_fails_loses_its_share_to_the_others_and_its_entry_says_so()
    {
        using var multi = Make();
        multi.Deadline = () => 60;
        Assert.Equal("local/1", await multi.RequestAsync());
        Assert.Equal("cloud/1", await multi.RequestAsync());
        Advance(30);
        _local.States["1"] = NodeState.Ready;
        _cloud.States["1"] = NodeState.Ready;
        await multi.ListAsync();
        Advance(3600);

        _cloud.Failing = true; // its batch system stops answering
        Assert.Equal("hpc/1", await multi.RequestAsync()); // cloud tried, failed; placed at hpc in the same call
        Assert.Equal("hpc/2", await multi.RequestAsync()); // not tried again
        await multi.ListAsync();

        var sites = multi.Summary();
        Assert.Equal(["local", "hpc", "cloud"], sites.Keys);
        var local = sites["local"];
        Assert.Equal(("local", 1, 1, 0, 0), (local.Provider, local.Requested, local.Joined, local.Failed, local.RequestsFailed));
        Assert.True(local.JoinMeasured);
        Assert.Equal(1.0, local.NodeHours, 3);
        Assert.Null(local.BudgetLeft);
        var hpc = sites["hpc"];
        Assert.Equal((2, 0, "up", 0), (hpc.Requested, hpc.Joined, hpc.Health, hpc.TimesDown));
        Assert.False(hpc.JoinMeasured); // the prior, still
        Assert.Equal((240.0, 720.0), (hpc.JoinP50Seconds, hpc.JoinP90Seconds));
        Assert.Equal(100, hpc.BudgetLeft);
        var cloud = sites["cloud"];
        Assert.Equal((1, 1, 1, "down", 1), (cloud.Requested, cloud.Joined, cloud.RequestsFailed, cloud.Health, cloud.TimesDown));
        Assert.Contains("Unable to contact slurm controller", cloud.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_site_that_goes_down_twice_is_counted_twice_and_its_lost_nodes_as_failed()
    {
        using var multi = Make();
        multi.Deadline = () => 60;
        await multi.RequestAsync(); // local
        await multi.RequestAsync(); // cloud/1
        _cloud.Failing = true;
        await multi.ListAsync(); // down: cloud/1 given up
        Advance(3000); // forgiven
        _cloud.Failing = false;
        await multi.ListAsync();
        Assert.Equal("up", multi.Summary()["cloud"].Health);
        _cloud.Failing = true;
        Advance(20);
        await multi.ListAsync();
        var cloud = multi.Summary()["cloud"];
        Assert.Equal(("down", 2), (cloud.Health, cloud.TimesDown));
        Assert.Equal(1, cloud.Failed); // booting when its site went down, never joined
    }

    [Fact]
    public async Task The_controller_adds_a_sites_section_to_the_run_summary_and_moves_requests_off_a_failed_site()
    {
        var plan = Pipelines.Plan("""
            name: sited
            control: {node-provider: local, service-rate: 100, interval: 1, min-nodes: 2, max-nodes: 4}
            sources: [{name: src, operator: synthetic, config: {rate: 200, batch-size: 10}}]
            stages: [{name: work, operator: noop, input: src, placement: workers}]
            sinks: [{name: out, operator: count, input: work}]
            """);
        var remote = new PassThroughWorkers();
        using var pipeline = Pipeline.Create(plan, new PipelineOptions { RemoteStages = remote });
        using var multi = Make();
        multi.Deadline = () => 60;
        var log = new StringWriter();
        using var controller = new ControllerHost(pipeline, ControllerSettings.From(plan)!, new RunLog(TextWriter.Synchronized(log)), remote, multi, _time);
        var run = pipeline.RunAsync();
        async Task Until(Func<bool> condition, string what) => await Eventually.Until(() =>
        {
            if (condition()) return true;
            if (controller.WaitingFor is null) Advance(1); // one tick at a time, none while a provider call is outstanding
            return false;
        }, what);

        await Until(() => multi.Sites.Sum(s => s.Requested) >= 2, "the controller asks for its two nodes");
        Assert.True(multi.Sites.Single(s => s.Name == "cloud").Requested >= 1); // local holds one; hpc is too late for 60 s
        _cloud.Failing = true;
        await Until(() => multi.Sites.Single(s => s.Name == "hpc").Requested >= 1, "the node lost at cloud asked for at hpc");
        pipeline.StopIntake("test");
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(60));

        var json = JsonDocument.Parse(summary.ToJson()).RootElement.GetProperty("sites");
        Assert.Equal(["local", "hpc", "cloud"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("down", json.GetProperty("cloud").GetProperty("health").GetString());
        Assert.Equal(1, json.GetProperty("cloud").GetProperty("timesDown").GetInt32());
        Assert.True(json.GetProperty("cloud").GetProperty("failed").GetInt32() >= 1); // booting when it went down: given up
        Assert.True(json.GetProperty("hpc").GetProperty("requested").GetInt32() >= 1);
        Assert.False(json.GetProperty("hpc").GetProperty("joinMeasured").GetBoolean());
        Assert.Contains("sites: node hpc/", log.ToString(), StringComparison.Ordinal); // placements are logged with their reasons
    }
}

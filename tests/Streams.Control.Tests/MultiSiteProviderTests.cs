using Microsoft.Extensions.Time.Testing;
using Streams.Control.Nodes;
using Streams.Control.Sites;

namespace Streams.Control.Tests;

public sealed class MultiSiteProviderTests
{
    private static readonly NodeGuards Guards = new() { CallTimeoutSeconds = 30, JoinTimeoutSeconds = 900, MinLifetimeSeconds = 0, YoungSeconds = 10 };

    private static readonly System.Text.Json.JsonSerializerOptions Web = new(System.Text.Json.JsonSerializerDefaults.Web);

    private readonly FakeTimeProvider _time = new();
    private readonly FakeSiteNodes _local = new("local");
    private readonly FakeSiteNodes _hpc = new("hpc");
    private readonly FakeSiteNodes _cloud = new("cloud");

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    private MultiSiteProvider Make(double? hpcWalltime = null) => new(
        [
            new SiteProvider(new SiteSpec { Name = "local", CostWeight = 0.1, Boot = new BootPrior(8, 20), QuotaNodes = 1, MaxPending = 1 }, _local),
            new SiteProvider(new SiteSpec { Name = "hpc", CostWeight = 1, Boot = new BootPrior(240, 720), QuotaNodes = 8, MaxPending = 3, WalltimeSeconds = hpcWalltime }, _hpc),
            new SiteProvider(new SiteSpec { Name = "cloud", CostWeight = 4, Boot = new BootPrior(60, 110), QuotaNodes = 6, MaxPending = 6 }, _cloud),
        ],
        Guards, _time, new SiteMatcher(), new SiteHealthSettings { HalfLifeSeconds = 300, ProbeIntervalSeconds = 20 });

    [Fact]
    public async Task Requests_go_to_the_best_site_for_the_deadline_and_ids_name_their_site()
    {
        using var multi = Make();
        multi.Deadline = () => 60;
        Assert.Equal("local/1", await multi.RequestAsync());
        Assert.Equal("cloud/1", await multi.RequestAsync()); // local is full; hpc is too late for 60 s
        multi.Deadline = () => double.PositiveInfinity;
        Assert.Equal("hpc/1", await multi.RequestAsync()); // time enough: the cheaper one
        Assert.Contains("hpc: merit 1", multi.LastReason, StringComparison.Ordinal);
        Assert.Equal(16, multi.CoresPerNode);
    }

    [Fact]
    public async Task Lists_are_merged_and_releases_route_back_to_their_site()
    {
        using var multi = Make();
        multi.Deadline = () => 60;
        await multi.RequestAsync();
        await multi.RequestAsync();
        _local.States["1"] = NodeState.Ready;
        var list = await multi.ListAsync();
        Assert.Equal([("cloud/1", NodeState.Booting), ("local/1", NodeState.Ready)], list.Select(n => (n.Id, n.State)).OrderBy(x => x.Id));
        await multi.ReleaseAsync("cloud/1", drain: true);
        Assert.Equal([("1", true)], _cloud.Released);
        Assert.Empty(_local.Released);
        await Assert.ThrowsAsync<InvalidOperationException>(() => multi.ReleaseAsync("nowhere/1", drain: true));
        var book = multi.Sites.Single(s => s.Name == "local");
        Assert.Equal(1, book.Joined);
        Assert.Equal(1, multi.Sites.Single(s => s.Name == "cloud").Released);
    }

    [Fact]
    public async Task A_site_that_fails_is_left_and_the_request_placed_elsewhere_in_the_same_call()
    {
        using var multi = Make();
        multi.Deadline = () => 60;
        await multi.RequestAsync(); // local
        _cloud.Failing = true;
        Assert.Equal("hpc/1", await multi.RequestAsync()); // cloud failed: hpc is the only one left
        Assert.Equal(SiteHealthState.Down, multi.Sites.Single(s => s.Name == "cloud").Health.State);
        Assert.Equal(1, multi.Sites.Single(s => s.Name == "cloud").RequestsFailed);
        // The next request does not try it again.
        Assert.Equal("hpc/2", await multi.RequestAsync());
        Assert.Equal(0, _cloud.Requests);
    }

    [Fact]
    public async Task A_site_that_stops_answering_has_its_booting_nodes_asked_for_elsewhere_within_one_tick()
    {
        using var multi = Make();
        multi.Deadline = () => 60;
        await multi.RequestAsync(); // local/1
        await multi.RequestAsync(); // cloud/1
        _local.States["1"] = NodeState.Ready;
        await multi.ListAsync();
        _cloud.Hang = new TaskCompletionSource(); // the API server hangs
        var listing = multi.ListAsync();
        Advance(31); // past the call timeout
        var list = await listing;
        Assert.Contains(list, n => n.Id == "cloud/1" && n.State == NodeState.Failed);
        Assert.Contains(list, n => n.Id == "local/1" && n.State == NodeState.Ready);
        var cloud = multi.Sites.Single(s => s.Name == "cloud");
        Assert.Equal(SiteHealthState.Down, cloud.Health.State);
        // The controller asks for a replacement: not at the hung site.
        multi.Deadline = () => 300;
        Assert.Equal("hpc/1", await multi.RequestAsync());
        // The site answers again: the given-up node is cancelled, not run twice.
        _cloud.Hang.SetResult();
        _cloud.Hang = null;
        Advance(20);
        var after = await multi.ListAsync();
        Assert.DoesNotContain(after, n => n.Id == "cloud/1");
        Assert.Equal([("1", false)], _cloud.Released);
    }

    [Fact]
    public async Task A_node_near_its_walltime_drains_early_enough_for_its_replacement_to_join()
    {
        using var multi = Make(hpcWalltime: 1800);
        multi.Deadline = () => double.PositiveInfinity;
        _local.States["x"] = NodeState.Ready; // local is full: the replacement must come from cloud or hpc
        await multi.ListAsync();
        Assert.Equal("hpc/1", await multi.RequestAsync());
        Advance(200);
        _hpc.States["1"] = NodeState.Ready;
        await multi.ListAsync(); // joined after 200 s: ends at its walltime, 1800 s later
        var replace = multi.Policy.PredictedTimeToCapacity(multi.Sites, new PlacementContext(double.PositiveInfinity));
        Assert.InRange(replace, 200, 900);
        Advance(1800 - (replace + 30) - 5);
        Assert.Contains(await multi.ListAsync(), n => n.Id == "hpc/1" && n.State == NodeState.Ready);
        Advance(10); // now less than the replacement's time to capacity plus a margin is left
        Assert.Contains(await multi.ListAsync(), n => n.Id == "hpc/1" && n.State == NodeState.Draining);
        Advance(replace + 30);
        _hpc.States["1"] = NodeState.Gone;
        await multi.ListAsync();
        Assert.Equal(0, multi.LostToWalltime); // it was replaced in time
    }

    [Fact]
    public async Task Without_migration_a_node_that_reaches_its_walltime_is_lost_capacity()
    {
        using var multi = new MultiSiteProvider(
            [new SiteProvider(new SiteSpec { Name = "hpc", Boot = new BootPrior(240, 720), WalltimeSeconds = 1800 }, _hpc)], Guards, _time, new Simulation.TardisPolicy());
        Assert.Equal("hpc/1", await multi.RequestAsync());
        Advance(200);
        _hpc.States["1"] = NodeState.Ready;
        await multi.ListAsync();
        Advance(1790);
        Assert.Contains(await multi.ListAsync(), n => n.Id == "hpc/1" && n.State == NodeState.Ready);
        Advance(10);
        _hpc.States["1"] = NodeState.Gone;
        await multi.ListAsync();
        Assert.Equal(1, multi.LostToWalltime);
    }

    [Fact]
    public async Task The_summary_tells_per_site_what_happened()
    {
        using var multi = Make();
        multi.Deadline = () => 60;
        await multi.RequestAsync();
        Advance(12);
        _local.States["1"] = NodeState.Ready;
        await multi.ListAsync();
        var json = System.Text.Json.JsonSerializer.Serialize(multi.Summary(), Web);
        Assert.Contains("\"local\":{\"provider\":\"local\",\"requested\":1,\"joined\":1,\"failed\":0", json, StringComparison.Ordinal);
        Assert.Contains("\"health\":\"up\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sites_are_exported_as_streams_site_metrics()
    {
        using var multi = Make();
        var registry = Engine.Metrics.MetricsRegistry.CreatePrivate();
        multi.Metrics = new SiteMetrics(registry, "p");
        multi.Deadline = () => 60;
        await multi.RequestAsync();
        await multi.ListAsync();
        var text = await registry.ExportTextAsync();
        Assert.Contains("streams_site_nodes{pipeline=\"p\",site=\"local\",state=\"booting\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("streams_site_join_seconds{pipeline=\"p\",site=\"cloud\",quantile=\"0.9\"} 110", text, StringComparison.Ordinal);
        Assert.Contains("streams_site_requests_total{pipeline=\"p\",site=\"local\",outcome=\"placed\"} 1", text, StringComparison.Ordinal);
    }
}

using Microsoft.Extensions.Time.Testing;
using Streams.Control.Nodes;
using Streams.Control.Sites;

namespace Streams.Control.Tests;

public sealed class SiteMatcherTests
{
    private readonly FakeTimeProvider _time = new();

    private SiteBook Book(string name, double cost, double p50, double p90, int quota = 4, int pending = 4, double? link = null, double ingest = 0, double? budget = null) =>
        new(new SiteSpec { Name = name, CostWeight = cost, Boot = new BootPrior(p50, p90), QuotaNodes = quota, MaxPending = pending, LinkGbps = link, IngestGbpsPerNode = ingest, BudgetNodeHours = budget }, _time);

    [Fact]
    public void The_figure_of_merit_is_cost_plus_a_cost_unit_per_minute_late_at_the_p90_join()
    {
        var m = new SiteMatcher();
        var cloud = Book("cloud", cost: 4, p50: 60, p90: 110);
        // No join measured: the prior's p90 (110 s) is the eta; 60 s after a 50 s deadline is one cost unit.
        Assert.Equal(110, m.Eta(cloud), 6);
        Assert.Equal(5.0, m.Merit(cloud, 50), 6);
        Assert.Equal(4.0, m.Merit(cloud, 200), 6); // in time: its cost only
        Assert.Equal(4 + (110 / 60.0), m.Merit(cloud, 0), 6);
    }

    [Fact]
    public void With_time_the_cheapest_site_in_time_wins_and_without_it_the_fastest()
    {
        var m = new SiteMatcher();
        var local = Book("local", 0.1, 8, 20, quota: 1);
        var hpc = Book("hpc", 1, 240, 720);
        var cloud = Book("cloud", 4, 60, 110);
        IReadOnlyList<SiteBook> sites = [local, hpc, cloud];
        Assert.Equal(["local", "hpc", "cloud"], m.Rank(sites, new PlacementContext(double.PositiveInfinity)).Ranked.Select(s => s.Name));
        // Deadline 500 s: hpc is 220 s late (1 + 3.67 = 4.67), cloud in time (4).
        Assert.Equal(["local", "cloud", "hpc"], m.Rank(sites, new PlacementContext(500)).Ranked.Select(s => s.Name));
        // Deadline 60 s: hpc would come 660 s late (more than 300 s): left out, and said why.
        var r = m.Rank(sites, new PlacementContext(60));
        Assert.Equal(["local", "cloud"], r.Ranked.Select(s => s.Name));
        Assert.Contains("hpc too late", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Caps_leave_out_full_sites_with_the_reason()
    {
        var quota = Book("q", 1, 10, 20, quota: 1);
        quota.OnRequested("a");
        Assert.Equal("quota full (1/1 nodes)", SiteMatcher.Cap(quota));

        var pending = Book("p", 1, 10, 20, quota: 10, pending: 2);
        pending.OnRequested("a");
        Assert.Null(SiteMatcher.Cap(pending));
        pending.OnRequested("b");
        Assert.Equal("2 requests pending (at most 2)", SiteMatcher.Cap(pending));

        // 4 Gbit/s at 0.8 a node: 5 nodes.
        var link = Book("l", 1, 10, 20, quota: 10, pending: 10, link: 4, ingest: 0.8);
        Assert.Equal(5, link.Spec.BandwidthNodes);
        for (var i = 0; i < 5; i++) link.OnRequested($"n{i}");
        Assert.Equal("bandwidth: 6 x 0.8 Gbit/s > 4 Gbit/s", SiteMatcher.Cap(link));

        // One node-hour of budget: spent after an hour of one node.
        var budget = Book("b", 1, 10, 20, budget: 1);
        budget.OnRequested("a");
        budget.OnListed([new NodeInfo("a", NodeState.Ready, 16, _time.GetUtcNow())]);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal("budget spent (1/1 node-hours)", SiteMatcher.Cap(budget));

        var down = Book("d", 1, 10, 20);
        down.OnRequestFailed("connection refused");
        Assert.Equal("down (connection refused)", SiteMatcher.Cap(down));
    }

    [Fact]
    public void Split_places_one_node_at_a_time_and_spills_over_at_the_caps()
    {
        var m = new SiteMatcher();
        var local = Book("local", 0.1, 8, 20, quota: 1);
        var cloud = Book("cloud", 4, 60, 110, quota: 6, pending: 3);
        var (nodes, reasons) = m.Split(5, [local, cloud], new PlacementContext(120));
        Assert.Equal(1, nodes["local"]);
        Assert.Equal(3, nodes["cloud"]);
        Assert.Equal(5, reasons.Count);
        Assert.StartsWith("no site can take a node", reasons[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Releases_go_booting_first_then_costliest_then_least_healthy()
    {
        var local = Book("local", 0.1, 8, 20);
        var cloud = Book("cloud", 4, 60, 110);
        var hpc = Book("hpc", 1, 240, 720);
        var t = _time.GetUtcNow();
        var order = SiteMatcher.ReleaseOrder(
        [
            ("local/1", local, new NodeInfo("1", NodeState.Ready, 16, t)),
            ("cloud/1", cloud, new NodeInfo("1", NodeState.Ready, 16, t)),
            ("hpc/1", hpc, new NodeInfo("1", NodeState.Booting, 16, t)),
            ("hpc/2", hpc, new NodeInfo("2", NodeState.Ready, 16, t)),
        ]);
        Assert.Equal(["hpc/1", "cloud/1", "hpc/2", "local/1"], order);
    }
}

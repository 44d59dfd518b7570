using Microsoft.Extensions.Time.Testing;
using Streams.Control.Nodes;
using Streams.Control.Sites;

namespace Streams.Control.Tests;

public sealed class SiteBookTests
{
    private readonly FakeTimeProvider _time = new();

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    [Fact]
    public void The_prior_holds_until_joins_are_measured_then_the_measured_times_take_over()
    {
        var joins = new JoinTimes(new BootPrior(60, 120));
        Assert.Equal(60, joins.P50, 6);
        Assert.Equal(120, joins.P90, 6);
        // The site is really slower: joins around 300 s.
        foreach (var s in new[] { 280.0, 310, 290, 330, 300, 295, 305, 320, 285, 315, 300, 290, 310, 300, 305, 295, 300, 310, 290, 300 }) joins.Add(s);
        Assert.InRange(joins.P50, 250, 310);
        Assert.InRange(joins.P90, joins.P50, 2 * joins.P50); // the prior widens the spread while it still weighs
        Assert.Equal(20, joins.Measured);
    }

    [Fact]
    public void A_node_that_never_joined_lengthens_the_tail()
    {
        var joins = new JoinTimes(new BootPrior(60, 120));
        for (var i = 0; i < 5; i++) joins.Add(60);
        var before = joins.P90;
        joins.AddNeverJoined(900);
        Assert.True(joins.P90 > before * 1.5, $"{joins.P90} vs {before}");
    }

    [Fact]
    public void The_book_learns_join_times_from_lists_and_counts_bad_nodes()
    {
        var book = new SiteBook(new SiteSpec { Name = "hpc", Boot = new BootPrior(100, 200), WalltimeSeconds = 600 }, _time);
        var t0 = _time.GetUtcNow();
        book.OnRequested("1");
        book.OnRequested("2");
        Advance(50);
        book.OnListed([new NodeInfo("1", NodeState.Ready, 16, t0), new NodeInfo("2", NodeState.Booting, 16, t0)]);
        Assert.Equal(1, book.Joined);
        Assert.Equal(1, book.Pending);
        Assert.Equal(1, book.Running);
        Assert.True(book.Joins.P50 < 100);
        Assert.Equal(600, book.RemainingSeconds("1"));
        Advance(100);
        Assert.Equal(500, book.RemainingSeconds("1"));
        book.OnListed([new NodeInfo("1", NodeState.Ready, 16, t0), new NodeInfo("2", NodeState.Failed, 16, t0)]);
        Assert.Equal(1, book.Failed);
        Assert.Equal(100.0 / 3600, book.NodeHours, 6);
    }

    [Fact]
    public void A_failed_site_is_down_then_probed_and_forgiven_as_its_failure_decays()
    {
        var health = new SiteHealth(new SiteHealthSettings { HalfLifeSeconds = 100, ProbeIntervalSeconds = 30 }, _time);
        Assert.Equal(SiteHealthState.Up, health.State);
        health.CallFailed("squeue: timed out");
        Assert.Equal(SiteHealthState.Down, health.State);
        Assert.False(health.TakeProbe()); // just failed: not asked again yet
        Advance(30);
        Assert.True(health.TakeProbe()); // a probe is due
        Assert.False(health.TakeProbe()); // one per interval
        Advance(71); // score 1 -> below 0.5 after one half-life
        Assert.Equal(SiteHealthState.Slow, health.State);
        Advance(250); // below 0.1
        Assert.Equal(SiteHealthState.Up, health.State);
    }

    [Fact]
    public void A_probe_that_answers_brings_the_site_back_sooner()
    {
        var health = new SiteHealth(new SiteHealthSettings { HalfLifeSeconds = 300, ProbeIntervalSeconds = 30 }, _time);
        health.CallFailed("down");
        Advance(30);
        Assert.True(health.TakeProbe());
        health.ListSucceeded();
        Assert.NotEqual(SiteHealthState.Down, health.State);
        health.RequestSucceeded();
        Assert.Equal(SiteHealthState.Up, health.State);
    }

    [Fact]
    public void Bad_nodes_put_a_site_down_and_joins_heal_it()
    {
        var health = new SiteHealth(new SiteHealthSettings(), _time);
        health.NodeBad();
        health.NodeBad();
        Assert.Equal(SiteHealthState.Slow, health.State);
        health.NodeBad();
        Assert.Equal(SiteHealthState.Down, health.State);
        health.NodeJoined();
        Assert.Equal(SiteHealthState.Slow, health.State);
    }

    [Fact]
    public void The_live_deadline_is_when_the_queue_would_pass_its_target_at_its_growth()
    {
        var d = new QueueDeadline(1000, idleSeconds: 120);
        Assert.Equal(120, d.Seconds);
        d.Observe(new Laws.ControlObservation(10, 1, 200, 0, 100, 1, 0, 1, 1));
        Assert.Equal(120, d.Seconds); // one observation: no growth yet
        d.Observe(new Laws.ControlObservation(12, 2, 400, 0, 100, 1, 0, 1, 1));
        Assert.Equal(6, d.Seconds); // 100 events/s, 600 to go
        d.Observe(new Laws.ControlObservation(13, 1, 300, 0, 100, 1, 0, 1, 1));
        Assert.Equal(120, d.Seconds); // shrinking
        d.Observe(new Laws.ControlObservation(14, 1, 1200, 0, 100, 1, 0, 1, 1));
        Assert.Equal(0, d.Seconds); // over already
    }
}

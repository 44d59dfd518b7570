using Streams.Control.Nodes;

namespace Streams.Control.Tests;

public sealed class GuardedProviderTests
{
    private sealed class FakeNodes : INodeProvider
    {
        public Dictionary<string, NodeState> States { get; } = [];

        public List<(string Id, bool Drain)> Released { get; } = [];

        private int _next;

        public string Name => "fake";

        public int CoresPerNode => 4;

        public string Request()
        {
            var id = $"n{++_next}";
            States[id] = NodeState.Booting;
            return id;
        }

        public void Release(string id, bool drain)
        {
            Released.Add((id, drain));
            States[id] = NodeState.Gone;
        }

        public IReadOnlyList<NodeInfo> List()
        {
            var list = States.Select(kv => new NodeInfo(kv.Key, kv.Value, 4, 0)).ToList();
            foreach (var gone in States.Where(kv => kv.Value is NodeState.Gone or NodeState.Failed).Select(kv => kv.Key).ToList()) States.Remove(gone);
            return list;
        }
    }

    private static readonly NodeGuards Guards = new() { MinLifetimeSeconds = 60, YoungSeconds = 60, JoinTimeoutSeconds = 300, BreakerFailures = 3, BreakerWindowSeconds = 600, BreakerCooldownSeconds = 120 };

    [Fact]
    public void Nodes_that_fail_open_the_breaker_and_a_joined_test_node_closes_it()
    {
        var t = 0.0;
        var fake = new FakeNodes();
        var p = new GuardedProvider(fake, Guards, () => t);
        for (var i = 0; i < 3; i++)
        {
            var id = p.Request();
            t += 10;
            fake.States[id] = NodeState.Failed;
            p.List();
        }

        Assert.Equal("open", p.Breaker);
        Assert.Contains("circuit breaker open", Assert.Throws<InvalidOperationException>(() => p.Request()).Message, StringComparison.Ordinal);

        t += 121;
        var probe = p.Request(); // after the cooldown one goes through
        Assert.Contains("half-open", Assert.Throws<InvalidOperationException>(() => p.Request()).Message, StringComparison.Ordinal);
        fake.States[probe] = NodeState.Ready;
        p.List();
        Assert.Equal("closed", p.Breaker);
        p.Request();
    }

    [Fact]
    public void Nodes_an_earlier_run_asked_for_and_found_already_over_do_not_count_against_the_site()
    {
        var t = 0.0;
        var fake = new FakeNodes();
        var p = new GuardedProvider(fake, Guards, () => t);
        // A restarted coordinator's state file brings back three jobs that ended while it was down (one failed).
        fake.States["old1"] = NodeState.Failed;
        fake.States["old2"] = NodeState.Gone;
        fake.States["old3"] = NodeState.Gone;
        p.List();
        Assert.Equal("closed", p.Breaker);
        Assert.Equal(0, p.BadEnds);
        p.Request();
    }

    [Fact]
    public void Nodes_that_die_young_count_and_a_failed_test_node_keeps_it_open()
    {
        var t = 0.0;
        var fake = new FakeNodes();
        var p = new GuardedProvider(fake, Guards, () => t);
        for (var i = 0; i < 3; i++)
        {
            var id = p.Request();
            fake.States[id] = NodeState.Ready;
            p.List();
            t += 30; // lives 30 s < 60 s
            fake.States[id] = NodeState.Gone;
            p.List();
        }

        Assert.Equal(3, p.BadEnds);
        t += 121;
        var probe = p.Request();
        fake.States[probe] = NodeState.Failed;
        p.List();
        Assert.Equal("open", p.Breaker);
        Assert.Throws<InvalidOperationException>(() => p.Request());
    }

    [Fact]
    public void A_ready_node_is_kept_for_its_minimum_lifetime_and_a_booting_one_can_go_at_once()
    {
        var t = 0.0;
        var fake = new FakeNodes();
        var p = new GuardedProvider(fake, Guards, () => t);
        var a = p.Request();
        var b = p.Request();
        t = 10;
        fake.States[a] = NodeState.Ready;
        p.List();
        t = 40;
        p.Release(a, drain: true); // lived 30 s: deferred
        p.Release(b, drain: true); // still booting: cancelled now
        Assert.Equal([(b, true)], fake.Released);
        p.List();
        Assert.Equal(0, p.BadEnds); // cancelling our own booting node is no fault of the site
        t = 71;
        p.Release(a, drain: true);
        Assert.Equal((a, true), fake.Released[^1]);
        p.List();
        Assert.Equal(0, p.BadEnds);
    }

    [Fact]
    public void A_node_that_never_joins_is_released_and_counted()
    {
        var t = 0.0;
        var fake = new FakeNodes();
        var p = new GuardedProvider(fake, Guards, () => t);
        var a = p.Request();
        t = 301;
        p.List();
        Assert.Equal((a, false), Assert.Single(fake.Released));
        Assert.Equal(1, p.BadEnds);
    }
}

using Microsoft.Extensions.Time.Testing;
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

        /// <summary>When set, every call waits for it (a provider that hangs).</summary>
        public TaskCompletionSource? Hang { get; set; }

        public async Task<string> RequestAsync(CancellationToken cancel = default)
        {
            if (Hang is { } h) await h.Task.WaitAsync(cancel);
            var id = $"n{++_next}";
            States[id] = NodeState.Booting;
            return id;
        }

        public Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default)
        {
            Released.Add((id, drain));
            States[id] = NodeState.Gone;
            return Task.CompletedTask;
        }

        public async Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancel = default)
        {
            if (Hang is { } h) await h.Task.WaitAsync(cancel);
            var list = States.Select(kv => new NodeInfo(kv.Key, kv.Value, 4, DateTimeOffset.UnixEpoch)).ToList();
            foreach (var gone in States.Where(kv => kv.Value is NodeState.Gone or NodeState.Failed).Select(kv => kv.Key).ToList()) States.Remove(gone);
            return list;
        }
    }

    private static readonly NodeGuards Guards = new() { MinLifetimeSeconds = 60, YoungSeconds = 60, JoinTimeoutSeconds = 300, BreakerFailures = 3, BreakerWindowSeconds = 600, BreakerCooldownSeconds = 120, CallTimeoutSeconds = 30 };

    private readonly FakeTimeProvider _time = new();

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    /// <summary>Sets the clock to <paramref name="seconds"/> after the test's start.</summary>
    private void At(double seconds) => _time.SetUtcNow(_start.AddSeconds(seconds));

    private readonly DateTimeOffset _start;

    public GuardedProviderTests() => _start = _time.GetUtcNow();

    [Fact]
    public async Task Nodes_that_fail_open_the_breaker_and_a_joined_test_node_closes_it()
    {
        var fake = new FakeNodes();
        var p = new GuardedProvider(fake, Guards, _time);
        for (var i = 0; i < 3; i++)
        {
            var id = await p.RequestAsync();
            Advance(10);
            fake.States[id] = NodeState.Failed;
            await p.ListAsync();
        }

        Assert.Equal("open", p.Breaker);
        Assert.Contains("circuit breaker open", (await Assert.ThrowsAsync<InvalidOperationException>(() => p.RequestAsync())).Message, StringComparison.Ordinal);

        Advance(121);
        var probe = await p.RequestAsync(); // after the cooldown one goes through
        Assert.Contains("half-open", (await Assert.ThrowsAsync<InvalidOperationException>(() => p.RequestAsync())).Message, StringComparison.Ordinal);
        fake.States[probe] = NodeState.Ready;
        await p.ListAsync();
        Assert.Equal("closed", p.Breaker);
        await p.RequestAsync();
    }

    [Fact]
    public async Task Nodes_an_earlier_run_asked_for_and_found_already_over_do_not_count_against_the_site()
    {
        var fake = new FakeNodes();
        var p = new GuardedProvider(fake, Guards, _time);
        // A restarted coordinator's state file brings back three jobs that ended while it was down (one failed).
        fake.States["old1"] = NodeState.Failed;
        fake.States["old2"] = NodeState.Gone;
        fake.States["old3"] = NodeState.Gone;
        await p.ListAsync();
        Assert.Equal("closed", p.Breaker);
        Assert.Equal(0, p.BadEnds);
        await p.RequestAsync();
    }

    [Fact]
    public async Task Nodes_that_die_young_count_and_a_failed_test_node_keeps_it_open()
    {
        var fake = new FakeNodes();
        var p = new GuardedProvider(fake, Guards, _time);
        for (var i = 0; i < 3; i++)
        {
            var id = await p.RequestAsync();
            fake.States[id] = NodeState.Ready;
            await p.ListAsync();
            Advance(30); // lives 30 s < 60 s
            fake.States[id] = NodeState.Gone;
            await p.ListAsync();
        }

        Assert.Equal(3, p.BadEnds);
        Advance(121);
        var probe = await p.RequestAsync();
        fake.States[probe] = NodeState.Failed;
        await p.ListAsync();
        Assert.Equal("open", p.Breaker);
        await Assert.ThrowsAsync<InvalidOperationException>(() => p.RequestAsync());
    }

    [Fact]
    public async Task A_ready_node_is_kept_for_its_minimum_lifetime_and_a_booting_one_can_go_at_once()
    {
        var fake = new FakeNodes();
        var p = new GuardedProvider(fake, Guards, _time);
        var a = await p.RequestAsync();
        var b = await p.RequestAsync();
        At(10);
        fake.States[a] = NodeState.Ready;
        await p.ListAsync();
        At(40);
        await p.ReleaseAsync(a, drain: true); // lived 30 s: deferred
        await p.ReleaseAsync(b, drain: true); // still booting: cancelled now
        Assert.Equal([(b, true)], fake.Released);
        await p.ListAsync();
        Assert.Equal(0, p.BadEnds); // cancelling our own booting node is no fault of the site
        At(71);
        await p.ReleaseAsync(a, drain: true);
        Assert.Equal((a, true), fake.Released[^1]);
        await p.ListAsync();
        Assert.Equal(0, p.BadEnds);
    }

    [Fact]
    public async Task A_node_that_never_joins_is_released_and_counted()
    {
        var fake = new FakeNodes();
        var p = new GuardedProvider(fake, Guards, _time);
        var a = await p.RequestAsync();
        At(301);
        await p.ListAsync();
        Assert.Equal((a, false), Assert.Single(fake.Released));
        Assert.Equal(1, p.BadEnds);
    }

    [Fact]
    public async Task A_call_that_hangs_is_cancelled_at_its_time_limit_on_the_clock_and_says_what_hung()
    {
        var fake = new FakeNodes { Hang = new TaskCompletionSource() };
        var p = new GuardedProvider(fake, Guards, _time);
        var list = p.ListAsync();
        Advance(29);
        Assert.False(list.IsCompleted); // within its 30 s
        Advance(2);
        var e = await Assert.ThrowsAsync<TimeoutException>(() => list);
        Assert.Contains("node provider fake: list did not answer within 30 s", e.Message, StringComparison.Ordinal);
    }
}

using System.Buffers.Binary;
using System.Net;
using Streams.LoadBalancer.Balancing;
using Streams.LoadBalancer.Instances;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Transports.Tests.Ejfat;

/// <summary>
/// The software load balancer's control step (PROTOCOLS.md section 7) on an explicit clock: readiness, staleness and
/// session expiry, epoch boundaries that keep every tick on one member, departures, newcomers and weights.
/// </summary>
public sealed class LbInstanceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static LbInstance NewInstance(SlotStrategy strategy = SlotStrategy.Dynamic) =>
        new("1", "test", "instance-token", strategy, until: null, new ControlLoopOptions(), seed: 7);

    private static Session Join(LbInstance lb, string name, int port, DateTimeOffset at, double weight = 1) =>
        lb.Register(name, weight, IPAddress.Loopback, port, 0, 0, 0, false, at);

    private static void Ready(LbInstance lb, Session s, DateTimeOffset at, double signal = 0, bool ready = true, ulong lastTick = 0) =>
        Assert.True(lb.Report(s.Id, new MemberReport(at, 0.2, signal, ready, 0, 0, 0, 0, 0, 0, 0), lastTick));

    private static byte[] Datagram(ulong tick)
    {
        var d = new byte[LbHeader.Size + 4];
        new LbHeader(2, 0, tick).Write(d);
        return d;
    }

    /// <summary>The member (by name) a datagram of <paramref name="tick"/> is forwarded to under the instance's current table.</summary>
    private static string? MemberOf(LbInstance lb, ulong tick)
    {
        var t = lb.Table.Current;
        var route = DataPlane.Decide(Datagram(tick), true, t.Epochs, t.Members);
        if (route.Drop != DropReason.None) return null;
        return lb.Sessions.FirstOrDefault(s => s.Member == route.Member && s.BasePort == t.Members[route.Member].BasePort)?.Name ?? $"index {route.Member}";
    }

    [Fact]
    public void Only_ready_members_get_slots_and_a_silent_one_loses_them_after_2_s_and_its_session_after_5_s()
    {
        var lb = NewInstance();
        var a = Join(lb, "a", 20000, T0);
        var b = Join(lb, "b", 20010, T0);
        Ready(lb, a, T0);
        lb.Step(T0, 0);
        Assert.Equal((512, 0), (a.Slots, b.Slots)); // b has not said it is ready

        Ready(lb, b, T0 + TimeSpan.FromSeconds(1));
        Ready(lb, a, T0 + TimeSpan.FromSeconds(1));
        lb.Step(T0 + TimeSpan.FromSeconds(1), 0);
        Assert.Equal((256, 256), (a.Slots, b.Slots));

        // b falls silent; a goes on reporting.
        for (var s = 2; s <= 7; s++)
        {
            Ready(lb, a, T0 + TimeSpan.FromSeconds(s));
            lb.Step(T0 + TimeSpan.FromSeconds(s), 0);
            if (s == 3) Assert.Equal((256, 256), (a.Slots, b.Slots)); // 2 s: still ready
            if (s == 4) Assert.Equal((512, 0), (a.Slots, b.Slots)); // more than 2 s after its last state: not ready
            if (s == 6) Assert.Equal(2, lb.Sessions.Count); // 5 s: not yet deleted
        }

        Assert.Equal(["a"], lb.Sessions.Select(x => x.Name));
        Assert.Equal(1, lb.SessionsExpired);
    }

    [Fact]
    public void A_member_that_says_it_is_not_ready_gets_no_slots()
    {
        var lb = NewInstance();
        var a = Join(lb, "a", 20000, T0);
        var b = Join(lb, "b", 20010, T0);
        Ready(lb, a, T0);
        Ready(lb, b, T0, ready: false);
        lb.Step(T0, 0);
        Assert.Equal((512, 0), (a.Slots, b.Slots));
    }

    [Fact]
    public void A_new_calendar_starts_past_every_tick_already_forwarded_so_each_tick_stays_on_one_member()
    {
        var lb = NewInstance();
        var a = Join(lb, "a", 20000, T0);
        Ready(lb, a, T0);
        lb.Step(T0, 0);
        Assert.Equal(0UL, lb.Table.Current.Epochs[0].FromTick); // the first calendar covers every tick

        // b joins while the senders are at tick 5000: ticks up to 5000 (events possibly in flight) stay with a.
        var b = Join(lb, "b", 20010, T0 + TimeSpan.FromSeconds(1));
        Ready(lb, a, T0 + TimeSpan.FromSeconds(1), lastTick: 5000);
        Ready(lb, b, T0 + TimeSpan.FromSeconds(1), lastTick: 5000); // its first ready state deals the slots at once
        var epochs = lb.Table.Current.Epochs;
        Assert.Equal(2, epochs.Count);
        Assert.True(epochs[1].FromTick > 5000, $"boundary {epochs[1].FromTick}");
        for (ulong tick = 0; tick <= 5000; tick += 7) Assert.Equal("a", MemberOf(lb, tick));
        var after = Enumerable.Range(0, 2000).Select(i => MemberOf(lb, epochs[1].FromTick + (ulong)i)).ToList();
        Assert.Contains("a", after);
        Assert.Contains("b", after);
    }

    [Fact]
    public void The_boundary_is_predicted_from_sync_packets_ahead_of_the_senders()
    {
        var lb = NewInstance();
        var a = Join(lb, "a", 20000, T0);
        Ready(lb, a, T0);
        lb.Step(T0, 0);
        // Sync samples: 1000 events/s.
        for (var s = 0; s <= 4; s++) lb.AddSync(T0 + TimeSpan.FromSeconds(s), (ulong)(1000 * s), 1000);
        var now = T0 + TimeSpan.FromSeconds(4);
        Assert.Equal(4000, lb.PredictTick(now)!.Value, 1);
        var b = Join(lb, "b", 20010, now);
        Ready(lb, a, now, lastTick: 3990);
        Ready(lb, b, now, lastTick: 3990);
        // 250 ms ahead at 1000 events/s.
        Assert.InRange(lb.Table.Current.Epochs[^1].FromTick, 4240UL, 4260UL);
    }

    [Fact]
    public void After_the_senders_slow_down_the_boundary_follows_their_new_rate_not_the_minute_before()
    {
        // 3500 events/s for 20 s, then 400/s: the boundary 1 s ahead lies 400 ticks on, not 3500 (a fit over the
        // minute would put it seconds of data away, and a member leaving would keep its slots that long).
        var p = new BoundaryPredictor();
        for (var s = 0; s <= 20; s++) p.AddSync(T0 + TimeSpan.FromSeconds(s), (ulong)(3500 * s), 3500);
        p.AddSync(T0 + TimeSpan.FromSeconds(21), 70_400, 400);
        p.AddSync(T0 + TimeSpan.FromSeconds(22), 70_800, 400);
        Assert.Equal(71_200, p.Predict(T0 + TimeSpan.FromSeconds(23))!.Value, 1);
        Assert.Equal(71_200UL, p.Boundary(T0 + TimeSpan.FromSeconds(22), TimeSpan.FromSeconds(1), lastTick: 70_900));
    }

    [Fact]
    public void A_member_that_deregisters_leaves_the_next_calendar_and_its_address_goes_once_no_calendar_names_it()
    {
        var lb = NewInstance();
        var a = Join(lb, "a", 20000, T0);
        var b = Join(lb, "b", 20010, T0);
        Ready(lb, a, T0);
        Ready(lb, b, T0);
        lb.Step(T0, 100);
        var epochBefore = lb.CurrentEpoch;

        Assert.True(lb.Deregister(b.Id, T0 + TimeSpan.FromMilliseconds(500), lastTick: 200));
        Assert.Equal(epochBefore + 1, lb.CurrentEpoch); // at once, not at the next second
        var t = lb.Table.Current;
        Assert.Equal(20010, t.Members[b.Member].BasePort); // events before the boundary still reach b
        Assert.DoesNotContain(b.Member, t.Epochs[^1].Calendar);
        Assert.Equal(["a"], lb.Sessions.Select(x => x.Name));

        // Once the senders have been past the boundary for a whole step, the calendar naming b is retired: its place is free.
        Ready(lb, a, T0 + TimeSpan.FromSeconds(1));
        lb.Step(T0 + TimeSpan.FromSeconds(1), lastTick: 100_000);
        Assert.Equal(20010, lb.Table.Current.Members[b.Member].BasePort);
        Ready(lb, a, T0 + TimeSpan.FromSeconds(2));
        lb.Step(T0 + TimeSpan.FromSeconds(2), lastTick: 200_000);
        Assert.Single(lb.Table.Current.Epochs);

        Assert.Equal(IPAddress.None, lb.Table.Current.Members[b.Member].Address);
    }

    [Fact]
    public void A_newcomer_starts_at_the_scale_of_its_peers_and_gets_a_fair_share_at_once()
    {
        var lb = NewInstance();
        var a = Join(lb, "a", 20000, T0);
        for (var s = 0; s < 20; s++)
        {
            Ready(lb, a, T0 + TimeSpan.FromSeconds(s), signal: 0.5);
            lb.Step(T0 + TimeSpan.FromSeconds(s), 0);
        }

        var now = T0 + TimeSpan.FromSeconds(20);
        var b = Join(lb, "b", 20010, now);
        Ready(lb, a, now, signal: 0.5);
        Ready(lb, b, now, signal: 0.5);
        lb.Step(now, 0);
        Assert.InRange(b.Slots, 250, 262);
    }

    [Fact]
    public void Weights_follow_the_control_signals_in_the_dynamic_strategy_and_not_in_the_static_one()
    {
        foreach (var strategy in new[] { SlotStrategy.Dynamic, SlotStrategy.Static })
        {
            var lb = NewInstance(strategy);
            var fast = Join(lb, "fast", 20000, T0);
            var slow = Join(lb, "slow", 20010, T0);
            for (var s = 0; s < 5; s++)
            {
                var at = T0 + TimeSpan.FromSeconds(s);
                Ready(lb, fast, at, signal: 100); // an empty queue: wants more
                Ready(lb, slow, at, signal: -100); // a full queue: wants less
                lb.Step(at, 0);
            }

            if (strategy == SlotStrategy.Dynamic) Assert.True(fast.Slots > slow.Slots + 100, $"{fast.Slots} vs {slow.Slots}");
            else Assert.Equal((256, 256), (fast.Slots, slow.Slots));
        }
    }

    [Fact]
    public void The_first_ready_state_deals_the_slots_at_once_without_waiting_for_the_next_step()
    {
        var lb = NewInstance();
        var a = Join(lb, "a", 20000, T0);
        Assert.Empty(lb.Table.Current.Epochs);
        Ready(lb, a, T0); // no Step: the state itself makes the first calendar
        Assert.Equal(512, a.Slots);
        Assert.Equal("a", MemberOf(lb, 12345));
    }

    [Fact]
    public void When_every_member_is_late_with_its_state_the_slots_go_to_the_living_sessions_rather_than_to_nobody()
    {
        var lb = NewInstance();
        var a = Join(lb, "a", 20000, T0);
        Ready(lb, a, T0);
        lb.Step(T0 + TimeSpan.FromSeconds(3), 0); // a's state is 3 s old: not ready, but its session lives
        Assert.Equal("a", MemberOf(lb, 777));
        lb.Step(T0 + TimeSpan.FromSeconds(6), 0); // silent past 5 s: deleted, and now its slots go
        Assert.Null(MemberOf(lb, 778));
    }

    [Fact]
    public void A_member_that_leaves_while_its_peer_is_late_gets_no_slots_in_the_new_calendar()
    {
        var lb = NewInstance();
        var a = Join(lb, "a", 20000, T0);
        var b = Join(lb, "b", 20010, T0);
        Ready(lb, a, T0);
        Ready(lb, b, T0 + TimeSpan.FromSeconds(2));
        Assert.True(lb.Deregister(b.Id, T0 + TimeSpan.FromSeconds(3), lastTick: 10)); // a's state is 3 s old: not ready
        Assert.DoesNotContain(b.Member, lb.Table.Current.Epochs[^1].Calendar);
        Assert.All(lb.Table.Current.Epochs[^1].Calendar, m => Assert.Equal(a.Member, m));
    }

    [Fact]
    public void A_member_that_says_it_is_no_longer_ready_loses_its_slots_at_once_and_its_ended_session_stays_in_the_books()
    {
        var lb = NewInstance();
        var a = Join(lb, "a", 20000, T0);
        var b = Join(lb, "b", 20010, T0);
        Ready(lb, a, T0);
        Ready(lb, b, T0);
        Assert.Equal((256, 256), (a.Slots, b.Slots));
        Ready(lb, b, T0 + TimeSpan.FromMilliseconds(300), ready: false, lastTick: 50); // b drains: no Step needed
        Assert.Equal((512, 0), (a.Slots, b.Slots));
        Assert.DoesNotContain(b.Member, lb.Table.Current.Epochs[^1].Calendar);
        Assert.True(lb.Deregister(b.Id, T0 + TimeSpan.FromSeconds(1), lastTick: 60));
        Assert.Equal(["b"], lb.EndedSessions.Select(s => s.Name));
        Assert.Equal("deregistered", lb.EndedSessions[0].Ended);
    }

    [Fact]
    public void Sync_packets_tell_each_senders_first_and_last_event_and_a_restart_starts_a_new_stream()
    {
        var lb = NewInstance();
        var sender = IPAddress.Parse("10.0.0.5");
        lb.AddSync(T0, 100, 1000, sender, 7);
        lb.AddSync(T0 + TimeSpan.FromSeconds(1), 1099, 1000, sender, 7);
        var s = Assert.Single(lb.SyncSources);
        Assert.Equal((100UL, 1099UL, 2L), (s.First, s.Last, s.Packets));
        lb.AddSync(T0 + TimeSpan.FromSeconds(2), 0, 1000, sender, 7); // the sender started again from event 0
        Assert.Equal((0UL, 0UL), (lb.SyncSources[0].First, lb.SyncSources[0].Last));
    }

    [Fact]
    public void Senders_are_kept_canonical_so_that_an_ipv4_mapped_address_is_allowed_like_its_ipv4_form()
    {
        var lb = NewInstance();
        lb.AddSenders([IPAddress.Parse("::ffff:10.1.2.3")]);
        Assert.True(lb.Table.Current.Allows(IPAddress.Parse("10.1.2.3")));
        lb.RemoveSenders([IPAddress.Parse("10.1.2.3")]);
        Assert.False(lb.Table.Current.Allows(IPAddress.Parse("10.1.2.3")));
    }
}

using System.Buffers.Binary;
using System.Net;
using Streams.LoadBalancer.Balancing;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Transports.Tests.Ejfat;

/// <summary>The load balancer's data plane on hand-made datagrams, and its control loop's slot allocation (PROTOCOLS.md section 7).</summary>
public sealed class BalancingTests
{
    private static readonly MemberAddress[] Members =
    [
        new(0, IPAddress.Loopback, 19522, 2, KeepLbHeader: false),
        new(1, IPAddress.Loopback, 19600, 0, KeepLbHeader: true),
    ];

    private static byte[] Datagram(byte version, ulong tick, ushort entropy, ushort? slotSelect = null)
    {
        var d = new byte[LbHeader.Size + 8];
        new LbHeader(version, entropy, tick).Write(d);
        if (slotSelect is { } s) BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(4), s);
        return d;
    }

    /// <summary>A calendar whose slot k names member (k % 2), so the slot is read off the member.</summary>
    private static Epoch Alternating(ulong number, ulong fromTick) => new(number, fromTick, [.. Enumerable.Range(0, 512).Select(k => k % 2)]);

    /// <summary>A calendar whose every slot names <paramref name="member"/>.</summary>
    private static Epoch All(ulong number, ulong fromTick, int member) => new(number, fromTick, [.. Enumerable.Repeat(member, 512)]);

    [Fact]
    public void V2_takes_the_slot_from_the_tick_and_v3_from_its_slot_select_field()
    {
        var epochs = new[] { Alternating(1, 0) };
        Assert.Equal(0, DataPlane.Decide(Datagram(2, 0x10002, 0), true, epochs, Members).Member); // slot 2
        Assert.Equal(1, DataPlane.Decide(Datagram(2, 0x10003, 0), true, epochs, Members).Member); // slot 3
        Assert.Equal(1, DataPlane.Decide(Datagram(2, 0x201, 0), true, epochs, Members).Member); // 0x201 & 511 = 1
        // v3: the slot select field decides, whatever the tick says.
        Assert.Equal(1, DataPlane.Decide(Datagram(3, 0x10002, 0, slotSelect: 7), true, epochs, Members).Member);
        Assert.Equal(0, DataPlane.Decide(Datagram(3, 0x10003, 0, slotSelect: 8), true, epochs, Members).Member);
        // The epoch's xor is mixed in before the slot is taken.
        Assert.Equal(1, DataPlane.Decide(Datagram(2, 2, 0), true, [Alternating(1, 0) with { Xor = 1 }], Members).Member);
    }

    [Fact]
    public void The_port_is_the_member_s_base_plus_the_entropy_within_its_port_range_and_the_header_goes_unless_kept()
    {
        var to0 = DataPlane.Decide(Datagram(2, 5, entropy: 0x1237), true, [All(1, 0, 0)], Members);
        Assert.Equal((DropReason.None, 0, 19522 + 3, LbHeader.Size), (to0.Drop, to0.Member, to0.Port, to0.PayloadOffset)); // 2 bits: 0x1237 & 3
        var to1 = DataPlane.Decide(Datagram(2, 5, entropy: 0x1237), true, [All(1, 0, 1)], Members);
        Assert.Equal((19600, 0), (to1.Port, to1.PayloadOffset)); // one port; the LB header kept
    }

    [Fact]
    public void What_is_not_allowed_or_not_routable_is_dropped_with_its_reason()
    {
        var epochs = new[] { All(1, 100, 0) };
        Assert.Equal(DropReason.SenderNotAllowed, DataPlane.Decide(Datagram(2, 200, 0), false, epochs, Members).Drop);
        var bad = Datagram(2, 200, 0);
        bad[1] = (byte)'X';
        Assert.Equal(DropReason.BadHeader, DataPlane.Decide(bad, true, epochs, Members).Drop);
        Assert.Equal(DropReason.BadHeader, DataPlane.Decide(Datagram(2, 200, 0).AsSpan(0, 10), true, epochs, Members).Drop);
        Assert.Equal(DropReason.NoEpoch, DataPlane.Decide(Datagram(2, 99, 0), true, epochs, Members).Drop);
        Assert.Equal(DropReason.NoMember, DataPlane.Decide(Datagram(2, 200, 0), true, [All(1, 100, -1)], Members).Drop);
    }

    [Fact]
    public void A_new_calendar_takes_effect_at_its_boundary_tick_so_every_datagram_of_an_event_reaches_one_member()
    {
        IReadOnlyList<Epoch> epochs = [All(1, 0, 0)];
        epochs = DataPlane.Install(epochs, All(2, 1000, 1));
        epochs = DataPlane.Install(epochs, All(3, 2000, 0));
        Assert.Equal([2UL, 3UL], epochs.Select(e => e.Number)); // epoch 1 can no longer be met
        foreach (var (tick, member) in new[] { (1500UL, 1), (1999UL, 1), (2000UL, 0), (5000UL, 0) })
        {
            // Every datagram of one event (one tick, any entropy) meets the same calendar and member.
            var routes = Enumerable.Range(0, 64).Select(e => DataPlane.Decide(Datagram(2, tick, (ushort)(e * 977)), true, epochs, Members)).ToList();
            Assert.All(routes, r => Assert.Equal((member, member == 0 ? 3UL : 2UL), (r.Member, r.Epoch)));
        }

        // A boundary moved earlier (a new prediction) replaces the epoch that had not begun.
        epochs = DataPlane.Install(epochs, All(4, 1800, 0));
        Assert.Equal([2UL, 4UL], epochs.Select(e => e.Number));
        Assert.Equal(1, DataPlane.Decide(Datagram(2, 1799, 0), true, epochs, Members).Member);
    }

    [Fact]
    public void Slots_follow_the_weights_add_up_to_512_and_members_not_ready_get_none()
    {
        MemberState[] members = [new(1000, 0, 0, 0, true), new(3000, 0, 0, 0, true), new(5000, 0, 0, 0, Ready: false)];
        var shares = SlotAllocator.Shares(members, SlotAllocator.NextWeights(members, SlotStrategy.Dynamic));
        Assert.Equal([128, 384, 0], shares);
        var calendar = SlotAllocator.Calendar(shares, new Random(1));
        Assert.Equal(128, calendar.Count(m => m == 0));
        Assert.Equal(384, calendar.Count(m => m == 1));
        Assert.DoesNotContain(2, calendar);
        Assert.NotEqual([.. Enumerable.Repeat(0, 128), .. Enumerable.Repeat(1, 384)], calendar); // spread, not in blocks

        MemberState[] stale = [new(1000, 0, 0, 0, Ready: false)];
        Assert.All(SlotAllocator.Calendar(SlotAllocator.Shares(stale, [1000]), new Random(1)), m => Assert.Equal(-1, m));
    }

    [Fact]
    public void Control_signals_move_the_weights_unless_the_strategy_is_static()
    {
        MemberState[] members = [new(1000, 200, 0, 0, true), new(1000, -200, 0, 0, true)];
        var dynamic = SlotAllocator.NextWeights(members, SlotStrategy.Dynamic);
        Assert.Equal(1000, dynamic.Average(), 6); // rescaled to a mean of 1000
        Assert.True(dynamic[0] > dynamic[1]);
        var shares = SlotAllocator.Shares(members, dynamic);
        Assert.Equal(512, shares.Sum());
        Assert.Equal(Math.Round(512 * 1200 / 2000.0), shares[0]);
        Assert.Equal([1000.0, 1000.0], SlotAllocator.NextWeights(members, SlotStrategy.Static));
    }

    [Fact]
    public void A_member_driven_to_no_weight_while_full_gets_its_slots_back_once_its_queue_empties()
    {
        // The node pipelines' feedback (setpoint 0, kp 400, limit 200): signal -400 x fill. Node 0 was full for a while
        // and fell to the floor; now it is empty while the other two are full.
        var weights = new[] { 1e-3, 1500, 1500 };
        double[] fill = [1, 0.5, 0.5];
        for (var step = 0; step < 5; step++) weights = SlotAllocator.NextWeights([.. weights.Select((w, i) => new MemberState(w, -Math.Min(200, 400 * fill[i]), 0, 0, true))], SlotStrategy.Dynamic);
        Assert.True(weights[0] >= SlotAllocator.WeightFloor * 0.9, $"weight {weights[0]}");
        var atFloor = Share(weights);
        Assert.True(atFloor >= 15, $"{atFloor} slots at the floor"); // about a tenth of the fair 171
        fill = [0, 0.9, 0.9];
        for (var step = 0; step < 5; step++) weights = SlotAllocator.NextWeights([.. weights.Select((w, i) => new MemberState(w, -Math.Min(200, 400 * fill[i]), 0, 0, true))], SlotStrategy.Dynamic);
        Assert.True(Share(weights) >= 2 * atFloor, $"{Share(weights)} slots after 5 s empty while the others are full (from {atFloor})");
        for (var step = 0; step < 15; step++) weights = SlotAllocator.NextWeights([.. weights.Select((w, i) => new MemberState(w, -Math.Min(200, 400 * fill[i]), 0, 0, true))], SlotStrategy.Dynamic);
        Assert.True(Share(weights) >= 512 / 3, $"{Share(weights)} slots after 20 s empty while the others are full");

        static int Share(double[] w) => SlotAllocator.Shares([.. w.Select(x => new MemberState(x, 0, 0, 0, true))], w)[0];
    }

    [Fact]
    public void Min_and_max_factors_bound_a_member_s_share_of_the_fair_256()
    {
        // Weights 9:1 would give 461 and 51; the first may have at most 1.5 x 256 = 384, the second at least 0.5 x 256 = 128.
        MemberState[] members = [new(9000, 0, 0, 1.5, true), new(1000, 0, 0.5, 0, true)];
        Assert.Equal([384, 128], SlotAllocator.Shares(members, [9000, 1000]));
        // Every member capped below its fair share: the slots still all go to someone.
        MemberState[] capped = [new(1000, 0, 0, 0.5, true), new(1000, 0, 0, 0.5, true)];
        Assert.Equal(512, SlotAllocator.Shares(capped, [1000, 1000]).Sum());
    }
}

using System.Buffers.Binary;
using Streams.Transports.Ejfat.Wire;

namespace Streams.LoadBalancer.Balancing;

/// <summary>Why the data plane dropped a datagram.</summary>
internal enum DropReason
{
    None,

    /// <summary>Its source address is not on the instance's sender list (AddSenders).</summary>
    SenderNotAllowed,

    /// <summary>No valid LB header (magic 'LB', version 2 or 3, protocol 1, 16 bytes).</summary>
    BadHeader,

    /// <summary>No epoch covers its tick (before the first calendar).</summary>
    NoEpoch,

    /// <summary>Its slot names no member (no member was ready when the calendar was made).</summary>
    NoMember,
}

/// <summary>A member's data address as the calendar names it.</summary>
/// <param name="Member">Its index (what the calendar's slots hold).</param>
/// <param name="Address">Where its datagrams go.</param>
/// <param name="BasePort">The first of its ports.</param>
/// <param name="PortRangeBits">Its ports are BasePort .. BasePort + 2^bits - 1 (Register's portRange: PORT_RANGE_2^k = k).</param>
/// <param name="KeepLbHeader">It asked to get the LB header (else the data plane strips it).</param>
internal readonly record struct MemberAddress(int Member, System.Net.IPAddress Address, int BasePort, int PortRangeBits, bool KeepLbHeader);

/// <summary>One epoch: the calendar in force for ticks from <see cref="FromTick"/> on (until the next epoch's).</summary>
/// <param name="Number">The epoch's number (it counts up).</param>
/// <param name="FromTick">Its first tick (the predicted boundary).</param>
/// <param name="Calendar">512 slots, each a member index (-1: none).</param>
/// <param name="Xor">Mixed into the slot select before the slot is taken (udplbd's per-epoch xor; 0 here unless set).</param>
internal sealed record Epoch(ulong Number, ulong FromTick, int[] Calendar, int Xor = 0);

/// <summary>Where one datagram goes: the member and port, and where its payload starts (after the LB header unless kept).</summary>
internal readonly record struct Route(DropReason Drop, int Member, int Port, int PayloadOffset, ulong Epoch)
{
    public static Route Dropped(DropReason why) => new(why, -1, 0, 0, 0);
}

/// <summary>
/// The data plane of an EJFAT load balancer (PROTOCOLS.md section 7), what the FPGA and udplbd's software mock do with
/// each datagram: the sender must be allowed and the LB header valid; the tick picks the epoch (the latest whose first
/// tick is not after it, so that a new calendar takes effect at its boundary tick and every datagram of one event,
/// which share a tick, meets one calendar); slot = (slotSelect XOR xor) AND 511, with slotSelect = tick AND 0xFFFF for
/// LB v2 and the header's slotSelect field for v3; the slot names the member; port = base + (portSelect AND
/// (2^portRange - 1)), portSelect = entropy (v2) or the portSelect field (v3); the LB header is removed unless the member
/// registered keepLbHeader. Allocation-free; not thread-safe against <see cref="Install"/> (the forwarder swaps whole
/// epoch lists).
/// </summary>
internal static class DataPlane
{
    /// <summary>Routes <paramref name="datagram"/> through <paramref name="epochs"/> (sorted by first tick) to <paramref name="members"/>.</summary>
    public static Route Decide(ReadOnlySpan<byte> datagram, bool senderAllowed, IReadOnlyList<Epoch> epochs, IReadOnlyList<MemberAddress> members)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        ArgumentNullException.ThrowIfNull(members);
        if (!senderAllowed) return Route.Dropped(DropReason.SenderNotAllowed);
        if (!LbHeader.TryRead(datagram, out var header)) return Route.Dropped(DropReason.BadHeader);
        var slotSelect = header.Version == 3 ? BinaryPrimitives.ReadUInt16BigEndian(datagram[4..]) : (ushort)(header.Tick & 0xFFFF);
        var portSelect = header.Entropy; // v2: entropy; v3: the portSelect field, at the same place
        Epoch? epoch = null;
        for (var i = epochs.Count - 1; i >= 0; i--)
        {
            if (epochs[i].FromTick <= header.Tick)
            {
                epoch = epochs[i];
                break;
            }
        }

        if (epoch is null) return Route.Dropped(DropReason.NoEpoch);
        var slot = (slotSelect ^ epoch.Xor) & (SlotAllocator.Slots - 1);
        var member = epoch.Calendar[slot];
        if (member < 0 || member >= members.Count) return Route.Dropped(DropReason.NoMember);
        var m = members[member];
        var port = m.BasePort + (portSelect & ((1 << m.PortRangeBits) - 1));
        return new Route(DropReason.None, m.Member, port, m.KeepLbHeader ? 0 : LbHeader.Size, epoch.Number);
    }

    /// <summary>
    /// The epoch list after <paramref name="next"/> takes effect at its first tick: epochs that begin at or after it are
    /// replaced, and the one before it stays for the ticks before the boundary (events still in flight).
    /// </summary>
    public static IReadOnlyList<Epoch> Install(IReadOnlyList<Epoch> epochs, Epoch next)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        ArgumentNullException.ThrowIfNull(next);
        var kept = epochs.Where(e => e.FromTick < next.FromTick).ToList();
        if (kept.Count > 1) kept.RemoveRange(0, kept.Count - 1); // only the newest older epoch can still be met
        kept.Add(next);
        return kept;
    }
}

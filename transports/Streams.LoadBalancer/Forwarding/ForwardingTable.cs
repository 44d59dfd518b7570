using System.Collections.Frozen;
using System.Net;
using Streams.LoadBalancer.Balancing;

namespace Streams.LoadBalancer.Forwarding;

/// <summary>What one member's datagrams have cost the forwarder. Written by the forwarder's thread only; read by anyone.</summary>
internal sealed class MemberCounters
{
    public long Packets;
    public long Bytes;

    /// <summary>Datagrams the kernel refused to send to this member (sendmmsg short or failed).</summary>
    public long SendErrors;
}

/// <summary>Datagrams the data plane dropped, by reason (PROTOCOLS.md section 7). Written by the forwarder's thread.</summary>
internal sealed class DropCounters
{
    public long SenderNotAllowed;
    public long BadHeader;
    public long NoEpoch;
    public long NoMember;

    public void Count(DropReason why)
    {
        switch (why)
        {
            case DropReason.SenderNotAllowed: SenderNotAllowed++; break;
            case DropReason.BadHeader: BadHeader++; break;
            case DropReason.NoEpoch: NoEpoch++; break;
            case DropReason.NoMember: NoMember++; break;
        }
    }

    public long Total => Volatile.Read(ref SenderNotAllowed) + Volatile.Read(ref BadHeader) + Volatile.Read(ref NoEpoch) + Volatile.Read(ref NoMember);
}

/// <summary>
/// Everything the forwarder needs to route a datagram, published whole by the control plane (an immutable snapshot
/// swapped with one reference write): the epochs (sorted by first tick), the members the calendars name (by index),
/// each member's counters (same index; the same object for the same session across tables) and the sender allow-list.
/// </summary>
internal sealed record ForwardingTable(IReadOnlyList<Epoch> Epochs, IReadOnlyList<MemberAddress> Members, IReadOnlyList<MemberCounters> Counters, FrozenSet<IPAddress> Senders)
{
    public static ForwardingTable Empty { get; } = new([], [], [], FrozenSet<IPAddress>.Empty);

    /// <summary>Whether datagrams from <paramref name="source"/> are forwarded (IPv4-mapped IPv6 addresses count as their IPv4 address).</summary>
    public bool Allows(IPAddress source) => Senders.Contains(source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source);
}

/// <summary>The table a forwarder reads, swapped by the control plane (a volatile reference).</summary>
internal sealed class ForwardingTableSlot
{
    private ForwardingTable _table = ForwardingTable.Empty;

    public ForwardingTable Current => Volatile.Read(ref _table);

    public void Publish(ForwardingTable table) => Volatile.Write(ref _table, table ?? throw new ArgumentNullException(nameof(table)));
}

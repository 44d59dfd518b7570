using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Streams.Transports.Ejfat.Udp.LinuxSockets;

namespace Streams.Transports.Ejfat.Udp;

/// <summary>
/// A reusable batch of datagrams for <see cref="BatchedUdp"/>: N slots of <see cref="SlotBytes"/> each, their lengths and
/// addresses (source after a receive, destination before a send), and the mmsghdr/iovec arrays recvmmsg(2)/sendmmsg(2)
/// read, all preallocated once on the pinned object heap so that the kernel can be handed pointers into them and
/// receiving or sending a batch allocates nothing. A batch built with no slot bytes only sends, pointing at another
/// batch's slots (a forwarder sends what it received without copying). A batch built for GRO (<see cref="BatchedUdp.EnableGro"/>
/// on the socket, slots of <see cref="GroSlotBytes"/>) also receives each entry's control message: an entry may then hold
/// several datagrams of one sender back to back, each <see cref="SegmentSize"/> bytes but the last (<see cref="Segment"/>
/// cuts them apart). Not thread-safe: one batch per thread.
/// </summary>
internal sealed unsafe class DatagramBatch
{
    /// <summary>Room for the largest EJFAT datagram (9000 bytes) with some to spare.</summary>
    public const int DefaultSlotBytes = 9216;

    /// <summary>Room for the largest message GRO hands over (64 KiB).</summary>
    public const int GroSlotBytes = 65536;

    private readonly byte[] _buffers;
    private readonly byte[] _addresses;
    private readonly MMsgHdr[] _messages;
    private readonly IoVec[] _iov;
    private readonly byte[]? _control;
    private SocketAddress? _fallback4;
    private SocketAddress? _fallback6;
    private bool _sending = true; // entries may point elsewhere than their own slots (PrepareReceive resets them)

    /// <param name="capacity">Entries (datagrams, or GRO messages) per system call.</param>
    /// <param name="slotBytes">Bytes per entry.</param>
    /// <param name="control">Whether entries receive control messages (UDP_GRO's segment size).</param>
    public DatagramBatch(int capacity, int slotBytes = DefaultSlotBytes, bool control = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(slotBytes);
        Capacity = capacity;
        SlotBytes = slotBytes;
        _buffers = GC.AllocateArray<byte>(capacity * slotBytes, pinned: true);
        _addresses = GC.AllocateArray<byte>(capacity * AddressSlot, pinned: true);
        _messages = GC.AllocateArray<MMsgHdr>(capacity, pinned: true);
        _iov = GC.AllocateArray<IoVec>(capacity, pinned: true);
        if (control) _control = GC.AllocateArray<byte>(capacity * ControlSlot, pinned: true);
        for (var i = 0; i < capacity; i++)
        {
            _messages[i].Header.Iov = IovPointer(i);
            _messages[i].Header.IovLength = 1;
        }

        PrepareReceive();
    }

    public int Capacity { get; }

    public int SlotBytes { get; }

    /// <summary>Datagrams the last receive brought.</summary>
    public int Count { get; internal set; }

    internal MMsgHdr* Messages => (MMsgHdr*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_messages));

    private IoVec* IovPointer(int i) => (IoVec*)Unsafe.AsPointer(ref _iov[i]);

    private byte* SlotPointer(int i) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffers)) + ((nint)i * SlotBytes);

    private byte* AddressPointer(int i) => (byte*)Unsafe.AsPointer(ref _addresses[i * AddressSlot]);

    /// <summary>Slot <paramref name="i"/>'s whole buffer (to write a datagram to send).</summary>
    public Span<byte> Slot(int i) => _buffers.AsSpan(i * SlotBytes, SlotBytes);

    /// <summary>Datagram <paramref name="i"/> as received.</summary>
    public ReadOnlySpan<byte> Datagram(int i) => _buffers.AsSpan(i * SlotBytes, (int)_messages[i].Length);

    /// <summary>
    /// The size of the datagrams entry <paramref name="i"/> holds: the GRO segment size the kernel reported, else the
    /// entry's whole length (one datagram). All but the last are this long; the last may be shorter.
    /// </summary>
    public int SegmentSize(int i)
    {
        var length = (int)_messages[i].Length;
        if (_control is null) return length;
        ref var h = ref _messages[i].Header;
        if (h.ControlLength < (nuint)(sizeof(CMsgHdr) + sizeof(int))) return length;
        var c = (CMsgHdr*)h.Control;
        if (c->Level != SolUdp || c->Type != UdpGro) return length;
        var size = *(int*)((byte*)c + sizeof(CMsgHdr));
        return size > 0 && size < length ? size : length;
    }

    /// <summary>How many datagrams entry <paramref name="i"/> holds (1 without GRO; 0 for an empty datagram still counts 1).</summary>
    public int SegmentCount(int i)
    {
        var length = Length(i);
        var size = SegmentSize(i);
        return size == 0 ? 1 : (length + size - 1) / size;
    }

    /// <summary>Datagram <paramref name="k"/> of entry <paramref name="i"/> (see <see cref="SegmentSize"/>).</summary>
    public ReadOnlySpan<byte> Segment(int i, int k, int segmentSize)
    {
        var offset = k * segmentSize;
        return _buffers.AsSpan((i * SlotBytes) + offset, Math.Min(segmentSize, Length(i) - offset));
    }

    /// <summary>A pointer to byte <paramref name="offset"/> of slot <paramref name="i"/> (for a send that points into the slot; the slot is pinned).</summary>
    internal byte* SlotAt(int i, int offset) => SlotPointer(i) + offset;

    /// <summary>Whether datagram <paramref name="i"/> was larger than its slot (only its first <see cref="SlotBytes"/> arrived).</summary>
    public bool Truncated(int i) => (_messages[i].Header.Flags & MsgTrunc) != 0;

    /// <summary>Bytes of datagram <paramref name="i"/> (received, or sent after a send).</summary>
    public int Length(int i) => (int)_messages[i].Length;

    /// <summary>The family of datagram <paramref name="i"/>'s address (IPv4-mapped IPv6 sources are IPv6 here).</summary>
    public AddressFamily SourceFamily(int i) => BinaryPrimitives.ReadUInt16LittleEndian(_addresses.AsSpan(i * AddressSlot)) switch
    {
        AfInet => AddressFamily.InterNetwork,
        AfInet6 => AddressFamily.InterNetworkV6,
        _ => AddressFamily.Unknown,
    };

    /// <summary>The raw address bytes of datagram <paramref name="i"/>'s source: 4 (IPv4) or 16 (IPv6), network order.</summary>
    public ReadOnlySpan<byte> SourceAddress(int i) => SourceFamily(i) switch
    {
        AddressFamily.InterNetwork => _addresses.AsSpan((i * AddressSlot) + 4, 4),
        AddressFamily.InterNetworkV6 => _addresses.AsSpan((i * AddressSlot) + 8, 16),
        _ => [],
    };

    public int SourcePort(int i) => BinaryPrimitives.ReadUInt16BigEndian(_addresses.AsSpan((i * AddressSlot) + 2));

    /// <summary>Datagram <paramref name="i"/>'s source as an endpoint (allocates: for tests and messages, not per datagram).</summary>
    public IPEndPoint SourceEndPoint(int i) => new(new IPAddress(SourceAddress(i)), SourcePort(i));

    /// <summary>Addresses entry <paramref name="i"/> to send <paramref name="length"/> bytes of its own slot from <paramref name="offset"/>.</summary>
    public void SetOutgoing(int i, int offset, int length, in UdpAddress to, int port) => SetOutgoing(i, this, i, offset, length, to, port);

    /// <summary>
    /// Addresses entry <paramref name="i"/> to send <paramref name="length"/> bytes of <paramref name="from"/>'s slot
    /// <paramref name="slot"/> from <paramref name="offset"/> (no copy: that slot must stay as it is until sent).
    /// </summary>
    public void SetOutgoing(int i, DatagramBatch from, int slot, int offset, int length, in UdpAddress to, int port)
    {
        ArgumentNullException.ThrowIfNull(from);
        if ((uint)offset > (uint)from.SlotBytes || (uint)length > (uint)(from.SlotBytes - offset)) throw new ArgumentOutOfRangeException(nameof(length));
        var iov = IovPointer(i);
        iov->Base = from.SlotPointer(slot) + offset;
        iov->Length = (nuint)length;
        ref var h = ref _messages[i].Header;
        h.Name = AddressPointer(i);
        h.NameLength = (uint)to.Write(AddressPointer(i), port);
        h.Control = null; // no GRO control message goes out with a send
        h.ControlLength = 0;
        h.Flags = 0;
        _messages[i].Length = 0;
        _sending = true;
    }

    /// <summary>Points every entry at its own slot and address (again, after a send) for the next receive.</summary>
    internal void PrepareReceive()
    {
        if (_sending)
        {
            for (var i = 0; i < Capacity; i++)
            {
                var iov = IovPointer(i);
                iov->Base = SlotPointer(i);
                iov->Length = (nuint)SlotBytes;
                _messages[i].Header.Name = AddressPointer(i);
            }

            _sending = false;
        }

        for (var i = 0; i < Capacity; i++)
        {
            _messages[i].Header.NameLength = AddressSlot; // the kernel wrote the last source's length here
            _messages[i].Header.Flags = 0;
            if (_control is not null)
            {
                _messages[i].Header.Control = (byte*)Unsafe.AsPointer(ref _control[i * ControlSlot]);
                _messages[i].Header.ControlLength = ControlSlot; // and the last control message's length here
            }
        }
    }

    /// <summary>The fallback's receive of one datagram into slot <paramref name="i"/>: false when none is waiting.</summary>
    internal bool ReceiveOne(Socket socket, int i)
    {
        if (!socket.Poll(0, SelectMode.SelectRead)) return false;
        var from = socket.AddressFamily == AddressFamily.InterNetworkV6
            ? _fallback6 ??= new SocketAddress(AddressFamily.InterNetworkV6)
            : _fallback4 ??= new SocketAddress(AddressFamily.InterNetwork);
        int n;
        try
        {
            n = socket.ReceiveFrom(Slot(i), SocketFlags.None, from);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.ConnectionReset or SocketError.MessageSize)
        {
            return false;
        }

        _messages[i].Length = (uint)n;
        _messages[i].Header.ControlLength = 0; // one datagram, no GRO
        // SocketAddress holds the platform's sockaddr; port and address sit at the same offsets on every platform, the
        // family does not: written here in Linux's layout, which the readers above expect.
        var raw = from.Buffer.Span;
        var to = _addresses.AsSpan(i * AddressSlot, AddressSlot);
        to.Clear();
        var v6 = from.Family == AddressFamily.InterNetworkV6;
        BinaryPrimitives.WriteUInt16LittleEndian(to, v6 ? AfInet6 : AfInet);
        raw.Slice(2, 2).CopyTo(to[2..]);
        if (v6) raw.Slice(8, 20).CopyTo(to[8..]); // address and scope id
        else raw.Slice(4, 4).CopyTo(to[4..]);
        return true;
    }

    /// <summary>The fallback's send of entry <paramref name="i"/>.</summary>
    internal void SendOne(Socket socket, int i)
    {
        var to = UdpAddress.ToSocketAddress(_addresses.AsSpan(i * AddressSlot, AddressSlot), ref _fallback4, ref _fallback6);
        var iov = _iov[i];
        var sent = socket.SendTo(new ReadOnlySpan<byte>(iov.Base, (int)iov.Length), SocketFlags.None, to);
        _messages[i].Length = (uint)sent;
    }
}

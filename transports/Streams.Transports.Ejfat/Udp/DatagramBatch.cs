using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Streams.Transports.Ejfat.Udp.LinuxSockets;

namespace Streams.Transports.Ejfat.Udp;

/// <summary>
/// A UDP address without the port, kept in raw form so that a datagram can be addressed to it without an
/// <see cref="IPAddress"/> or <see cref="SocketAddress"/> per datagram (a forwarder precomputes one per member).
/// </summary>
internal readonly struct UdpAddress
{
    private readonly ulong _a; // IPv6: bytes 0..7 as they lie in memory; IPv4: the address in network order in the low 4 bytes
    private readonly ulong _b; // IPv6: bytes 8..15
    private readonly uint _scope;

    private UdpAddress(AddressFamily family, ulong a, ulong b, uint scope)
    {
        Family = family;
        _a = a;
        _b = b;
        _scope = scope;
    }

    public AddressFamily Family { get; }

    /// <summary>
    /// The raw form of <paramref name="address"/>; with <paramref name="asIPv6"/> an IPv4 address becomes its IPv4-mapped
    /// IPv6 form (what a dual-stack socket sends to).
    /// </summary>
    public static UdpAddress From(IPAddress address, bool asIPv6)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (asIPv6 && address.AddressFamily == AddressFamily.InterNetwork) address = address.MapToIPv6();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var n);
        if (n == 4) return new UdpAddress(AddressFamily.InterNetwork, MemoryMarshal.Read<uint>(bytes), 0, 0);
        return new UdpAddress(AddressFamily.InterNetworkV6, MemoryMarshal.Read<ulong>(bytes), MemoryMarshal.Read<ulong>(bytes[8..]), (uint)address.ScopeId);
    }

    /// <summary>Writes sockaddr_in or sockaddr_in6 (Linux layout) for this address and <paramref name="port"/>; returns its length.</summary>
    internal unsafe int Write(byte* destination, int port)
    {
        if (Family == AddressFamily.InterNetwork)
        {
            var s = (SockAddrIn*)destination;
            s->Family = AfInet;
            s->Port = BinaryPrimitives.ReverseEndianness((ushort)port);
            s->Address = (uint)_a;
            s->Zero = 0;
            return sizeof(SockAddrIn);
        }

        var s6 = (SockAddrIn6*)destination;
        s6->Family = AfInet6;
        s6->Port = BinaryPrimitives.ReverseEndianness((ushort)port);
        s6->FlowInfo = 0;
        *(ulong*)s6->Address = _a;
        *(ulong*)(s6->Address + 8) = _b;
        s6->ScopeId = _scope;
        return sizeof(SockAddrIn6);
    }
}

/// <summary>
/// A reusable batch of datagrams for <see cref="BatchedUdp"/>: N slots of <see cref="SlotBytes"/> each, their lengths and
/// addresses (source after a receive, destination before a send), and the mmsghdr/iovec arrays recvmmsg(2)/sendmmsg(2)
/// read, all preallocated once on the pinned object heap so that the kernel can be handed pointers into them and
/// receiving or sending a batch allocates nothing. A batch built with no slot bytes only sends, pointing at another
/// batch's slots (a forwarder sends what it received without copying). Not thread-safe: one batch per thread.
/// </summary>
internal sealed unsafe class DatagramBatch
{
    /// <summary>Room for the largest EJFAT datagram (9000 bytes) with some to spare.</summary>
    public const int DefaultSlotBytes = 9216;

    private readonly byte[] _buffers;
    private readonly byte[] _addresses;
    private readonly MMsgHdr[] _messages;
    private readonly IoVec[] _iov;
    private SocketAddress? _fallback4;
    private SocketAddress? _fallback6;
    private bool _sending = true; // entries may point elsewhere than their own slots (PrepareReceive resets them)

    public DatagramBatch(int capacity, int slotBytes = DefaultSlotBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(slotBytes);
        Capacity = capacity;
        SlotBytes = slotBytes;
        _buffers = GC.AllocateArray<byte>(capacity * slotBytes, pinned: true);
        _addresses = GC.AllocateArray<byte>(capacity * AddressSlot, pinned: true);
        _messages = GC.AllocateArray<MMsgHdr>(capacity, pinned: true);
        _iov = GC.AllocateArray<IoVec>(capacity, pinned: true);
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
        var name = _addresses.AsSpan(i * AddressSlot, AddressSlot);
        var v6 = BinaryPrimitives.ReadUInt16LittleEndian(name) == AfInet6;
        var to = v6 ? _fallback6 ??= new SocketAddress(AddressFamily.InterNetworkV6) : _fallback4 ??= new SocketAddress(AddressFamily.InterNetwork);
        var raw = to.Buffer.Span;
        name.Slice(2, 2).CopyTo(raw[2..]);
        if (v6)
        {
            raw.Slice(4, 4).Clear();
            name.Slice(8, 20).CopyTo(raw[8..]);
        }
        else
        {
            name.Slice(4, 4).CopyTo(raw[4..]);
        }

        var iov = _iov[i];
        var sent = socket.SendTo(new ReadOnlySpan<byte>(iov.Base, (int)iov.Length), SocketFlags.None, to);
        _messages[i].Length = (uint)sent;
    }
}

using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Streams.Transports.Ejfat.Udp.LinuxSockets;

namespace Streams.Transports.Ejfat.Udp;

/// <summary>
/// A reusable batch of outgoing messages for sendmmsg(2), each one or more datagrams to one destination. A message of
/// several datagrams is a UDP GSO send: its bytes, gathered from iovecs that point at the data where it lies, go through
/// the network stack once and the kernel cuts them into datagrams of the message's segment size (the last may be
/// shorter), so a sender or forwarder pays one pass per 64 KiB instead of one per datagram. Everything (mmsghdr, iovec,
/// addresses, the UDP_SEGMENT control messages) is preallocated once on the pinned object heap: building and sending a
/// batch allocates nothing. The data the iovecs point at must stay put until the batch is sent. Where sendmmsg is not
/// available (<see cref="BatchedUdp.IsSupported"/> false) only addressed messages of one datagram and one iovec can be
/// sent, one <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, SocketAddress)"/> each. Not thread-safe: one
/// batch per thread.
/// </summary>
internal sealed unsafe class GsoBatch
{
    /// <summary>The most bytes one message carries: under the UDP payload limits of IPv4 (65507) and IPv6 (65487).</summary>
    public const int MaxMessageBytes = 65000;

    private readonly MMsgHdr[] _messages;
    private readonly IoVec[] _iov;
    private readonly byte[] _addresses;
    private readonly byte[] _control;
    private readonly int[] _segments;
    private readonly int[] _bytes;
    private int _iovUsed;
    private int _open = -1;

    /// <param name="messages">Messages per batch.</param>
    /// <param name="iovecs">iovecs per batch, all messages together.</param>
    public GsoBatch(int messages, int iovecs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messages, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(iovecs, messages);
        Capacity = messages;
        _messages = GC.AllocateArray<MMsgHdr>(messages, pinned: true);
        _iov = GC.AllocateArray<IoVec>(iovecs, pinned: true);
        _addresses = GC.AllocateArray<byte>(messages * AddressSlot, pinned: true);
        _control = GC.AllocateArray<byte>(messages * ControlSlot, pinned: true);
        _segments = new int[messages];
        _bytes = new int[messages];
    }

    /// <summary>Messages the batch can hold.</summary>
    public int Capacity { get; }

    /// <summary>Messages built (and ended) since <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Whether another message fits, with <paramref name="iovecs"/> iovecs.</summary>
    public bool HasRoom(int iovecs) => Count < Capacity && _iovUsed + iovecs <= _iov.Length;

    /// <summary>iovecs of the message being built (0 when none is).</summary>
    public int OpenIovecs => _open < 0 ? 0 : (int)_messages[_open].Header.IovLength;

    /// <summary>Bytes of the message being built.</summary>
    public int OpenBytes => _open < 0 ? 0 : _bytes[_open];

    internal MMsgHdr* Messages => (MMsgHdr*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_messages));

    /// <summary>Datagrams message <paramref name="i"/> carries.</summary>
    public int Segments(int i) => _segments[i];

    /// <summary>Bytes message <paramref name="i"/> carries (all its datagrams' payloads together).</summary>
    public int Bytes(int i) => _bytes[i];

    public void Clear()
    {
        Count = 0;
        _iovUsed = 0;
        _open = -1;
    }

    /// <summary>Starts a message for a connected socket (no address).</summary>
    public void Begin() => BeginCore(null, 0);

    /// <summary>Starts a message to <paramref name="to"/>:<paramref name="port"/>.</summary>
    public void Begin(in UdpAddress to, int port)
    {
        var name = (byte*)Unsafe.AsPointer(ref _addresses[Count * AddressSlot]);
        BeginCore(name, (uint)to.Write(name, port));
    }

    private void BeginCore(byte* name, uint nameLength)
    {
        if (_open >= 0) throw new InvalidOperationException("the previous message is not ended");
        if (Count >= Capacity) throw new InvalidOperationException("the batch is full");
        _open = Count;
        ref var h = ref _messages[_open].Header;
        h.Name = name;
        h.NameLength = nameLength;
        h.Iov = (IoVec*)Unsafe.AsPointer(ref _iov[_iovUsed]);
        h.IovLength = 0;
        h.Control = null;
        h.ControlLength = 0;
        h.Flags = 0;
        _messages[_open].Length = 0;
        _bytes[_open] = 0;
    }

    /// <summary>Appends <paramref name="length"/> bytes at <paramref name="data"/> to the message being built.</summary>
    public void Add(byte* data, int length)
    {
        if (_open < 0) throw new InvalidOperationException("no message is begun");
        if (_iovUsed >= _iov.Length) throw new InvalidOperationException("the batch has no iovec left");
        _iov[_iovUsed].Base = data;
        _iov[_iovUsed].Length = (nuint)length;
        _iovUsed++;
        _messages[_open].Header.IovLength++;
        _bytes[_open] += length;
    }

    /// <summary>
    /// Ends the message being built as <paramref name="segments"/> datagrams of <paramref name="segmentSize"/> bytes (the
    /// last may be shorter): with more than one, the UDP_SEGMENT control message tells the kernel where to cut.
    /// </summary>
    public void End(int segments, int segmentSize)
    {
        if (_open < 0) throw new InvalidOperationException("no message is begun");
        ref var h = ref _messages[_open].Header;
        if (segments > 1)
        {
            var c = (CMsgHdr*)Unsafe.AsPointer(ref _control[_open * ControlSlot]);
            c->Length = (nuint)(sizeof(CMsgHdr) + sizeof(ushort)); // CMSG_LEN(sizeof(uint16_t))
            c->Level = SolUdp;
            c->Type = UdpSegment;
            *(ushort*)((byte*)c + sizeof(CMsgHdr)) = (ushort)segmentSize;
            h.Control = c;
            h.ControlLength = (nuint)(sizeof(CMsgHdr) + 8); // CMSG_SPACE(sizeof(uint16_t))
        }

        _segments[_open] = segments;
        Count++;
        _open = -1;
    }

    /// <summary>
    /// Rebuilds message <paramref name="i"/> of this batch in <paramref name="into"/> as one message per datagram, each
    /// of <paramref name="iovecsPerSegment"/> of its iovecs (for a kernel or device that refuses GSO).
    /// </summary>
    public void Explode(int i, int iovecsPerSegment, GsoBatch into)
    {
        ArgumentNullException.ThrowIfNull(into);
        ref var h = ref _messages[i].Header;
        var iovecs = (int)h.IovLength;
        for (var k = 0; k < iovecs; k += iovecsPerSegment)
        {
            into.BeginCore((byte*)h.Name, h.NameLength);
            for (var j = k; j < Math.Min(iovecs, k + iovecsPerSegment); j++) into.Add((byte*)h.Iov[j].Base, (int)h.Iov[j].Length);
            into.End(1, 0);
        }
    }

    private SocketAddress? _fallback4;
    private SocketAddress? _fallback6;

    /// <summary>The fallback's send of message <paramref name="i"/> (one addressed datagram, one iovec).</summary>
    internal void SendOne(Socket socket, int i)
    {
        ref var h = ref _messages[i].Header;
        if (h.Name is null || h.IovLength != 1 || _segments[i] != 1) throw new NotSupportedException("without sendmmsg only addressed messages of one datagram in one piece can be sent");
        var to = UdpAddress.ToSocketAddress(_addresses.AsSpan(i * AddressSlot, AddressSlot), ref _fallback4, ref _fallback6);
        _messages[i].Length = (uint)socket.SendTo(new ReadOnlySpan<byte>(h.Iov->Base, (int)h.Iov->Length), SocketFlags.None, to);
    }
}

using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Streams.LoadBalancer.Balancing;
using Streams.Transports.Ejfat.Udp;
using Streams.Transports.Ejfat.Wire;

namespace Streams.LoadBalancer.Forwarding;

/// <summary>
/// The software load balancer's data plane at run time (what the FPGA does, PROTOCOLS.md section 7): one thread that
/// receives datagrams on the instance's data port in recvmmsg batches (with UDP GRO, runs of a sender's datagrams per
/// entry), routes each with <see cref="DataPlane.Decide"/> through the table the control plane last published, and sends
/// it on to its member with sendmmsg batches (the LB header stripped unless the member keeps it; consecutive datagrams to
/// one member and port gathered into one UDP GSO send), without copying or allocating per datagram: datagrams are sent
/// from where they were received, a member's address is kept in raw form per table, and the sender allow-list is
/// compared on raw address bytes. One thread per instance keeps every counter single-writer (no interlocked adds) and
/// the table read once per batch; a host that needs more than one core's worth of forwarding runs more instances.
/// </summary>
internal sealed partial class Forwarder : IDisposable
{
    /// <summary>Datagrams received (and sent) per system call.</summary>
    public const int DefaultBatch = 64;

    /// <summary>The data socket's kernel buffer: bursts at line rate must not overflow it while a batch is sent.</summary>
    public const int DefaultReceiveBuffer = 64 << 20;

    private readonly ForwardingTableSlot _slot;
    private readonly Socket _socket;
    private readonly Socket _send;
    private readonly bool _sendIPv6;
    private readonly DatagramBatch _rx;
    private readonly GsoBatch _tx;
    private readonly GsoBatch _single; // a refused GSO message, again one datagram per message
    private int _segmentsPerMessage;
    private readonly MemberCounters[] _txCounters;
    private Thread? _thread;
    private volatile bool _stopping;

    // The table in force and what was derived from it (by reference: rebuilt only when the control plane publishes).
    private ForwardingTable? _table;
    private UdpAddress[] _destinations = [];
    private HashSet<uint> _senders4 = [];
    private HashSet<UInt128> _senders6 = [];
    private bool _memberIsIndex = true;
    private Dictionary<int, int> _indexOfMember = [];

    private long _received;
    private long _receivedBytes;
    private long _forwarded;
    private long _forwardedBytes;
    private long _sendErrors;
    private long _maxTick;
    private long _lastTick;

    /// <summary>Binds the data socket on <paramref name="bind"/> (port 0: any; see <see cref="LocalEndPoint"/>); <see cref="Start"/> begins forwarding.</summary>
    /// <exception cref="IOException">The port is taken, or cannot be bound (one line saying which).</exception>
    public Forwarder(IPEndPoint bind, ForwardingTableSlot slot, int batch = DefaultBatch, int receiveBuffer = DefaultReceiveBuffer)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentNullException.ThrowIfNull(slot);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        _slot = slot;
        _socket = Bind(bind, receiveBuffer);
        try
        {
            (_send, _sendIPv6) = SendSocket();
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        // With GRO an entry holds up to 64 datagrams (in 64 KiB): a quarter as many entries carry at least as much. The
        // outgoing side has room for one message per datagram received (every datagram to a different member).
        Gro = BatchedUdp.EnableGro(_socket);
        _rx = Gro ? new DatagramBatch(Math.Max(1, batch / 4), DatagramBatch.GroSlotBytes, control: true) : new DatagramBatch(batch);
        var outgoing = _rx.Capacity * (Gro ? LinuxSockets.MaxSegments : 1);
        _segmentsPerMessage = BatchedUdp.ProbeGso(_send) ? LinuxSockets.MaxSegments : 1;
        _tx = new GsoBatch(outgoing, outgoing);
        _single = new GsoBatch(LinuxSockets.MaxSegments, LinuxSockets.MaxSegments);
        _txCounters = new MemberCounters[outgoing];
    }

    /// <summary>Whether the data socket receives with UDP GRO (runs of datagrams per entry).</summary>
    public bool Gro { get; }

    /// <summary>Whether datagrams go out as UDP GSO sends (false where the kernel lacks it, or after it refused one).</summary>
    public bool Gso => _segmentsPerMessage > 1;

    /// <summary>Where senders send (the bound data address and port).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Datagrams drained from the data socket.</summary>
    public long ReceivedPackets => Volatile.Read(ref _received);

    public long ReceivedBytes => Volatile.Read(ref _receivedBytes);

    /// <summary>Datagrams handed to the kernel for a member (all members together).</summary>
    public long ForwardedPackets => Volatile.Read(ref _forwarded);

    /// <summary>Bytes sent on to members (after the LB header was stripped, where it was).</summary>
    public long ForwardedBytes => Volatile.Read(ref _forwardedBytes);

    /// <summary>Datagrams routed to a member that the kernel refused to send.</summary>
    public long SendErrors => Volatile.Read(ref _sendErrors);

    /// <summary>Datagrams the data plane dropped, by reason.</summary>
    public DropCounters Drops { get; } = new();

    /// <summary>
    /// The highest LB tick seen from an allowed sender with a valid header (0: none yet): the control plane predicts
    /// epoch boundaries from it when no Sync packets arrive.
    /// </summary>
    public ulong MaxTick => (ulong)Volatile.Read(ref _maxTick);

    /// <summary>The tick of the newest datagram from an allowed sender with a valid header: unlike <see cref="MaxTick"/> it
    /// falls when a sender restarts from event 0, so that the next boundary is placed past the new stream's ticks.</summary>
    public ulong LastTick => (ulong)Volatile.Read(ref _lastTick);

    /// <summary>The forwarding thread's failure, if it ended on one (null while it runs or after a clean stop).</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Whether the forwarding thread runs.</summary>
    public bool Running => _thread is { IsAlive: true };

    public void Start()
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (_thread is not null) throw new InvalidOperationException("the forwarder is already started");
        _thread = new Thread(Run) { IsBackground = true, Name = $"lb-fwd-{LocalEndPoint.Port}" };
        _thread.Start();
    }

    /// <summary>Stops the thread (it notices within about a millisecond when idle, after its batch when busy) and waits for it.</summary>
    public void Stop()
    {
        _stopping = true;
        if (_thread is { } t && t != Thread.CurrentThread) t.Join();
    }

    public void Dispose()
    {
        Stop();
        _socket.Dispose();
        _send.Dispose();
    }

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                if (Pump() == 0) _socket.Poll(1000, SelectMode.SelectRead);
            }
        }
        catch (Exception e)
        {
            Failure = e; // the thread ends; the control plane reads Failure (an exception escaping would end the process)
        }
    }

    /// <summary>
    /// One round: receives a batch (without waiting), routes and sends it; returns how many datagrams it received. The
    /// thread's loop; tests call it directly to measure what a round allocates.
    /// </summary>
    internal unsafe int Pump()
    {
        var n = BatchedUdp.Receive(_socket, _rx);
        if (n == 0) return 0;
        var table = _slot.Current;
        if (!ReferenceEquals(table, _table)) Adopt(table);
        var epochs = table.Epochs;
        var members = table.Members;
        var counters = table.Counters;
        var datagrams = 0;
        var bytes = 0L;
        var maxTick = (ulong)_maxTick;
        var lastTick = (ulong)_lastTick;
        _tx.Clear();
        _openMember = -1;
        for (var i = 0; i < n; i++)
        {
            // An entry is one datagram, or with GRO a run of one sender's datagrams of one size (the last may be shorter).
            var size = _rx.SegmentSize(i);
            var segments = _rx.SegmentCount(i);
            var allowed = IsAllowed(i);
            for (var k = 0; k < segments; k++)
            {
                var datagram = segments == 1 ? _rx.Datagram(i) : _rx.Segment(i, k, size);
                datagrams++;
                bytes += datagram.Length;
                var route = DataPlane.Decide(datagram, allowed, epochs, members);
                if (route.Drop is not (DropReason.SenderNotAllowed or DropReason.BadHeader))
                {
                    var tick = BinaryPrimitives.ReadUInt64BigEndian(datagram[8..]); // the header is valid
                    if (tick > maxTick) maxTick = tick;
                    lastTick = tick;
                }

                if (route.Drop != DropReason.None)
                {
                    Drops.Count(route.Drop);
                    continue;
                }

                // Counters and destinations go by the member's place in the table (its Member number, as a rule).
                var member = _memberIsIndex ? route.Member : _indexOfMember.GetValueOrDefault(route.Member, -1);
                if ((uint)member >= (uint)_destinations.Length)
                {
                    Drops.Count(DropReason.NoMember);
                    continue;
                }

                Route(member, route.Port, _rx.SlotAt(i, (k * size) + route.PayloadOffset), datagram.Length - route.PayloadOffset, counters[member]);
            }
        }

        if (_openMember >= 0) _tx.End(_tx.OpenIovecs, _openSize);
        Volatile.Write(ref _received, _received + datagrams);
        Volatile.Write(ref _receivedBytes, _receivedBytes + bytes);
        Volatile.Write(ref _maxTick, (long)maxTick);
        Volatile.Write(ref _lastTick, (long)lastTick);
        SendAll(_tx, null);
        return datagrams;
    }

    // The outgoing message being built: its member, port and datagram size, and whether a shorter datagram ended it.
    private int _openMember = -1;
    private int _openPort;
    private int _openSize;
    private bool _openEnded;

    /// <summary>
    /// Adds one routed datagram (its bytes from <paramref name="data"/>, where it was received) to the round's outgoing
    /// messages: onto the open one when it goes to the same member and port and fits GSO's rule (equal sizes, a shorter one
    /// only last, at most 64 datagrams and 64 KiB), else as the start of a new one.
    /// </summary>
    private unsafe void Route(int member, int port, byte* data, int length, MemberCounters counters)
    {
        if (_openMember == member && _openPort == port && !_openEnded && length > 0 && length <= _openSize
            && _tx.OpenIovecs < _segmentsPerMessage && _tx.OpenBytes + length <= GsoBatch.MaxMessageBytes)
        {
            _tx.Add(data, length);
            _openEnded = length < _openSize;
            return;
        }

        if (_openMember >= 0) _tx.End(_tx.OpenIovecs, _openSize);
        _txCounters[_tx.Count] = counters;
        _tx.Begin(_destinations[member], port);
        _tx.Add(data, length);
        _openMember = member;
        _openPort = port;
        _openSize = length;
        _openEnded = length == 0;
    }

    /// <summary>
    /// Sends <paramref name="batch"/>'s messages, waiting (briefly) for room when the kernel's queue is full, and counts
    /// each message's datagrams against its member (<paramref name="only"/>, or the round's <c>_txCounters</c>). A GSO
    /// message the kernel refuses (EIO: a device without checksum offload; EINVAL: datagrams over the path's MTU) turns
    /// GSO off for good and goes again one datagram per message.
    /// </summary>
    private void SendAll(GsoBatch batch, MemberCounters? only)
    {
        var count = batch.Count;
        var start = 0;
        var fullRounds = 0;
        while (start < count)
        {
            var sent = BatchedUdp.Send(_send, batch, start, count - start, out var error);
            if (sent > 0)
            {
                var packets = 0L;
                var bytes = 0L;
                for (var k = start; k < start + sent; k++)
                {
                    var c = only ?? _txCounters[k];
                    c.Packets += batch.Segments(k);
                    c.Bytes += batch.Bytes(k);
                    packets += batch.Segments(k);
                    bytes += batch.Bytes(k);
                }

                Volatile.Write(ref _forwarded, _forwarded + packets);
                Volatile.Write(ref _forwardedBytes, _forwardedBytes + bytes);
                start += sent;
                fullRounds = 0;
            }
            else if (sent == 0 && ++fullRounds < 100 && !_stopping)
            {
                _send.Poll(1000, SelectMode.SelectWrite); // the send queue is full: wait for room rather than drop
            }
            else if (sent < 0 && BatchedUdp.RefusesGso(error) && batch.Segments(start) > 1)
            {
                _segmentsPerMessage = 1;
                _single.Clear();
                batch.Explode(start, 1, _single);
                SendAll(_single, only ?? _txCounters[start]);
                start++;
            }
            else
            {
                // This message failed (or room never came): count it against its member and go on with the rest.
                (only ?? _txCounters[start]).SendErrors += batch.Segments(start);
                Volatile.Write(ref _sendErrors, _sendErrors + batch.Segments(start));
                start++;
                fullRounds = 0;
            }
        }

        if (only is null) Array.Clear(_txCounters, 0, count);
    }
}

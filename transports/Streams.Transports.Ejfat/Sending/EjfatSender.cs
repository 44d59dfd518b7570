using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Streams.Transports.Ejfat.Udp;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Transports.Ejfat.Sending;

/// <summary>Where and how an <see cref="EjfatSender"/> sends.</summary>
public sealed record SenderOptions
{
    public required IPAddress Destination { get; init; }

    /// <summary>Base data port; an event goes to base + (entropy &amp; (2^PortRange - 1)).</summary>
    public int BasePort { get; init; } = EjfatWire.DefaultDataPort;

    public int PortRange { get; init; }

    public FrameOptions Frame { get; init; } = new();

    /// <summary>Sockets to send from (events are dealt round-robin).</summary>
    public int Sockets { get; init; } = 1;

    /// <summary>Pacing in Gbit/s of payload (0: unpaced).</summary>
    public double GbitPerSecond { get; init; }

    /// <summary>Pacing in events/s (0: unpaced).</summary>
    public double EventsPerSecond { get; init; }

    /// <summary>An event rate that changes over time (overrides <see cref="EventsPerSecond"/>); null: none.</summary>
    public Engine.Operators.RateSteps? RateSteps { get; init; }

    /// <summary>Where Sync packets go about once a second (null: none).</summary>
    public IPEndPoint? Sync { get; init; }

    /// <summary>eventSrcId of the Sync packets.</summary>
    public uint EventSourceId { get; init; }

    /// <summary>
    /// Whether datagrams go out as UDP GSO sends (up to 64 KiB of an event's datagrams through the network stack at once,
    /// cut apart by the kernel or the NIC) where the kernel has it; false: one sendmmsg entry per datagram. Either way the
    /// datagrams on the wire are the same.
    /// </summary>
    public bool Gso { get; init; } = true;

    /// <summary>The clock of the Sync packets (when to send one, the rate and time they carry); pacing sleeps in real time.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// Sends events as EJFAT datagrams from one or more UDP sockets, paced by bytes or events per second, with a Sync
/// packet about once per second when a sync address is given. On Linux an event's datagrams go out in sendmmsg batches,
/// as UDP GSO sends where the kernel has them (EjfatSender.Batched.cs); elsewhere one send per datagram. Not thread-safe:
/// one sender per thread.
/// </summary>
public sealed partial class EjfatSender : IDisposable
{
    private readonly SenderOptions _options;
    private readonly Socket[][] _sockets; // [socket][port], each connected to its destination port: send(2), not sendto(2)
    private readonly SocketAddress? _sync;
    private readonly Socket _syncSocket;
    private readonly byte[] _datagram = new byte[EjfatWire.MaxDatagram + 64];
    private readonly Pacer _pacer;
    private readonly long _start;
    private long? _lastSync;
    private ulong? _lastEvent;
    private bool _disposed;
    private int _nextSocket;

    public EjfatSender(SenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Frame.MaxPayload + options.Frame.HeaderBytes > EjfatWire.MaxDatagram) throw new ArgumentException($"datagrams of {options.Frame.MaxPayload + options.Frame.HeaderBytes} bytes exceed {EjfatWire.MaxDatagram}");
        if (options.Frame.MaxPayload < 1) throw new ArgumentException("payload per datagram must be at least 1 byte");
        if (options.PortRange is < 0 or > 14) throw new ArgumentException("port range must be 0..14");
        _options = options;
        _start = options.Time.GetTimestamp();
        _sockets = new Socket[Math.Max(1, options.Sockets)][];
        for (var i = 0; i < _sockets.Length; i++)
        {
            _sockets[i] = new Socket[1 << options.PortRange];
            for (var p = 0; p < _sockets[i].Length; p++)
            {
                var s = new Socket(options.Destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = 4 << 20 };
                s.Connect(new IPEndPoint(options.Destination, options.BasePort + p));
                _sockets[i][p] = s;
            }
        }

        if (BatchedUdp.IsSupported) InitBatched(options);
        _syncSocket = new Socket(options.Destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _sync = options.Sync?.Serialize();
        _pacer = new Pacer(options.GbitPerSecond * 1e9 / 8, options.EventsPerSecond, options.RateSteps);
    }

    public long EventsSent { get; private set; }

    public long DatagramsSent { get; private set; }

    public long BytesSent { get; private set; }

    public long SyncsSent { get; private set; }

    /// <summary>Datagrams not sent because the destination port kept answering ICMP port-unreachable.</summary>
    public long DatagramsRefused { get; private set; }

    /// <summary>Sends one event (all of its segments) and paces.</summary>
    public void Send(ReadOnlySpan<byte> eventBytes, ulong eventNumber, ushort dataId, ulong tick, ushort entropy)
    {
        var socket = _sockets[_nextSocket][EjfatWire.PortFor(0, _options.PortRange, entropy)];
        _nextSocket = (_nextSocket + 1) % _sockets.Length;
        var n = Segmenter.SegmentCount(eventBytes.Length, _options.Frame.MaxPayload);
        if (_batch is not null)
        {
            SendBatched(socket, eventBytes, eventNumber, dataId, tick, entropy);
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                var len = Segmenter.Write(_datagram, eventBytes, i, _options.Frame, eventNumber, dataId, tick, entropy);
                SendDatagram(socket, _datagram.AsSpan(0, len), null);
            }
        }

        DatagramsSent += n;
        BytesSent += eventBytes.Length;
        EventsSent++;
        _pacer.Account(eventBytes.Length);
        if (_sync is not null) MaybeSync(eventNumber);
    }

    /// <summary>Bytes of headroom <see cref="SendInPlace"/> needs in front of the event.</summary>
    public const int Headroom = EjfatWire.HeadersSize;

    /// <summary>
    /// Sends the event <paramref name="buffer"/>[<see cref="Headroom"/>..] without copying it: each segment's headers
    /// are written into the bytes just before it (saved and restored), so a datagram is one contiguous span.
    /// </summary>
    public void SendInPlace(Span<byte> buffer, ulong eventNumber, ushort dataId, ulong tick, ushort entropy)
    {
        if (_batch is not null)
        {
            // Batched sends gather each datagram's headers and payload from two places: nothing to write in place.
            Send(buffer[Headroom..], eventNumber, dataId, tick, entropy);
            return;
        }

        var frame = _options.Frame;
        var length = buffer.Length - Headroom;
        var socket = _sockets[_nextSocket][EjfatWire.PortFor(0, _options.PortRange, entropy)];
        _nextSocket = (_nextSocket + 1) % _sockets.Length;
        var n = Segmenter.SegmentCount(length, frame.MaxPayload);
        Span<byte> saved = stackalloc byte[Headroom];
        for (var i = 0; i < n; i++)
        {
            var start = Headroom + (i * frame.MaxPayload);
            var len = Math.Min(frame.MaxPayload, length - (i * frame.MaxPayload));
            var header = buffer.Slice(start - frame.HeaderBytes, frame.HeaderBytes);
            header.CopyTo(saved);
            Segmenter.WriteHeaders(header, frame, (uint)(i * frame.MaxPayload), (uint)length, eventNumber, dataId, tick, entropy);
            SendDatagram(socket, buffer.Slice(start - frame.HeaderBytes, frame.HeaderBytes + len), null);
            saved[..frame.HeaderBytes].CopyTo(header);
        }

        DatagramsSent += n;
        BytesSent += length;
        EventsSent++;
        _pacer.Account(length);
        if (_sync is not null) MaybeSync(eventNumber);
    }

    private void SendDatagram(Socket socket, ReadOnlySpan<byte> datagram, SocketAddress? to)
    {
        var refused = 0;
        while (true)
        {
            try
            {
                if (to is null) socket.Send(datagram, SocketFlags.None);
                else socket.SendTo(datagram, SocketFlags.None, to);
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.NoBufferSpaceAvailable or SocketError.WouldBlock)
            {
                Thread.Yield(); // the kernel's send queue is full: wait for it rather than drop
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // An ICMP port-unreachable for an earlier datagram is reported on this send, which then did not go
                // out: reporting cleared it, so send again (once; a second refusal means nobody listens).
                if (++refused > 1)
                {
                    DatagramsRefused++;
                    return;
                }
            }
        }
    }

    private long _syncedEvents;

    private void MaybeSync(ulong eventNumber, bool force = false)
    {
        _lastEvent = eventNumber;
        var time = _options.Time;
        var now = time.GetTimestamp();
        if (!force && _lastSync is { } last && now - last < time.TimestampFrequency) return;
        // The rate since the last Sync packet (since the start for the first): a load balancer predicting epoch
        // boundaries follows a rate that changes.
        var since = _lastSync ?? _start;
        var seconds = Math.Max(time.GetElapsedTime(since).TotalSeconds, 1e-3);
        var rate = (uint)Math.Min(uint.MaxValue, (EventsSent - _syncedEvents) / seconds);
        _lastSync = now;
        _syncedEvents = EventsSent;
        var unixNs = (ulong)(time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000L);
        Span<byte> packet = stackalloc byte[SyncHeader.Size];
        new SyncHeader(_options.EventSourceId, eventNumber, rate, unixNs).Write(packet);
        SendDatagram(_syncSocket, packet, _sync!);
        SyncsSent++;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // A last Sync with the last event sent: the control plane's books then know the whole stream.
        if (_sync is not null && _lastEvent is { } lastEvent)
        {
            try
            {
                MaybeSync(lastEvent, force: true);
            }
            catch (SocketException)
            {
            }
        }

        foreach (var s in _sockets.SelectMany(x => x)) s.Dispose();
        _syncSocket.Dispose();
    }
}

using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Streams.LoadBalancer.Balancing;
using Streams.LoadBalancer.Forwarding;
using Streams.Transports.Ejfat.Sending;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Transports.Tests.Ejfat;

/// <summary>The load balancer's forwarder on real loopback sockets: sender, forwarder, two members (PROTOCOLS.md section 7).</summary>
public sealed class ForwarderTests : IDisposable
{
    private readonly HeldPorts _ports0 = Ports.HoldUdpRange(2);
    private readonly HeldPorts _ports1 = Ports.HoldUdpRange(2);
    private readonly Socket[][] _members;
    private readonly ForwardingTableSlot _slot = new();
    private readonly MemberCounters[] _counters = [new(), new()];

    public ForwarderTests()
    {
        _members = [Bind(_ports0.Port), Bind(_ports1.Port)];
    }

    private static Socket[] Bind(int basePort) => [.. Enumerable.Range(basePort, 2).Select(p =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20 };
        s.Bind(new IPEndPoint(IPAddress.Loopback, p));
        return s;
    })];

    public void Dispose()
    {
        foreach (var s in _members.SelectMany(m => m)) s.Dispose();
        _ports0.Dispose();
        _ports1.Dispose();
    }

    /// <summary>Slot k names member k % 2 (so an LB v2 tick's parity names its member); member 1 keeps the LB header.</summary>
    private ForwardingTable Table(IReadOnlyList<Epoch>? epochs = null, params IPAddress[] senders) => new(
        epochs ?? [new Epoch(1, 0, [.. Enumerable.Range(0, 512).Select(k => k % 2)])],
        [new MemberAddress(0, IPAddress.Loopback, _ports0.Port, 1, KeepLbHeader: false), new MemberAddress(1, IPAddress.Loopback, _ports1.Port, 1, KeepLbHeader: true)],
        _counters,
        (senders.Length == 0 ? [IPAddress.Loopback] : senders).ToFrozenSet());

    private static ushort EntropyOf(ulong n) => (ushort)(n * 7);

    private static byte[] Datagram(ulong tick, int payload = 100)
    {
        var d = new byte[EjfatWire.HeadersSize + payload];
        var length = Segmenter.Write(d, new byte[payload], 0, new FrameOptions { LbVersion = 2 }, tick, 3, tick, EntropyOf(tick));
        Assert.Equal(d.Length, length);
        return d;
    }

    /// <summary>Takes whatever waits on member <paramref name="m"/>'s ports: (port, datagram).</summary>
    private List<(int Port, byte[] Data)> Drain(int m, List<(int Port, byte[] Data)> into)
    {
        var buffer = new byte[9000];
        foreach (var s in _members[m])
        {
            while (s.Available > 0)
            {
                var n = s.Receive(buffer);
                into.Add((((IPEndPoint)s.LocalEndPoint!).Port, buffer[..n]));
            }
        }

        return into;
    }

    [Fact]
    public async Task Every_datagram_reaches_the_member_and_port_its_calendar_and_entropy_name_with_the_LB_header_stripped_unless_kept()
    {
        _slot.Publish(Table());
        using var forwarder = new Forwarder(new IPEndPoint(IPAddress.Loopback, 0), _slot);
        forwarder.Start();
        using var sender = new EjfatSender(new SenderOptions { Destination = IPAddress.Loopback, BasePort = forwarder.LocalEndPoint.Port, Frame = new FrameOptions { LbVersion = 2, MaxPayload = 1000 } });
        const int Events = 300;
        var buffer = new byte[EjfatSender.Headroom + 2500];
        for (var i = 0UL; i < Events; i++)
        {
            var length = 1 + (int)(i * 13 % 2500); // one to three datagrams
            sender.SendInPlace(buffer.AsSpan(0, EjfatSender.Headroom + length), eventNumber: i, dataId: 3, tick: i, entropy: EntropyOf(i));
        }

        var at = new[] { new List<(int Port, byte[] Data)>(), new List<(int Port, byte[] Data)>() };
        await Eventually.Until(() => Drain(0, at[0]).Count + Drain(1, at[1]).Count >= sender.DatagramsSent, "every datagram forwarded");
        Assert.Equal(sender.DatagramsSent, at[0].Count + at[1].Count);
        for (var m = 0; m < 2; m++)
        {
            var basePort = m == 0 ? _ports0.Port : _ports1.Port;
            foreach (var (port, data) in at[m])
            {
                var re = data.AsSpan(m == 0 ? 0 : LbHeader.Size);
                if (m == 1) Assert.True(LbHeader.TryRead(data, out _), "member 1 keeps the LB header");
                else Assert.False(LbHeader.HasMagic(data), "member 0 gets it stripped");
                Assert.True(ReHeader.TryRead(re, out var header));
                var eventNumber = header.EventNumber;
                Assert.Equal(m, (int)(eventNumber % 2)); // tick = event number; slot = tick & 511; member = slot % 2
                Assert.Equal(basePort + (EntropyOf(eventNumber) & 1), port);
            }
        }

        Assert.Equal(sender.DatagramsSent, forwarder.ReceivedPackets);
        Assert.Equal(sender.DatagramsSent, forwarder.ForwardedPackets);
        Assert.Equal(0, forwarder.Drops.Total);
        Assert.Equal(0, forwarder.SendErrors);
        Assert.Equal((ulong)(Events - 1), forwarder.MaxTick);
        for (var m = 0; m < 2; m++)
        {
            Assert.Equal(at[m].Count, _counters[m].Packets);
            Assert.Equal(at[m].Sum(d => (long)d.Data.Length), _counters[m].Bytes);
        }

        Assert.Equal(_counters.Sum(c => c.Bytes), forwarder.ForwardedBytes);
        Assert.Equal(forwarder.ForwardedBytes + (at[0].Count * LbHeader.Size), forwarder.ReceivedBytes);
    }

    [Fact]
    public async Task Unknown_senders_bad_headers_ticks_before_the_first_epoch_and_empty_slots_are_dropped_and_counted()
    {
        var calendar = Enumerable.Range(0, 512).Select(k => k % 2).ToArray();
        _slot.Publish(Table([new Epoch(1, 1000, calendar), new Epoch(2, 5000, [.. Enumerable.Repeat(-1, 512)])], IPAddress.Loopback));
        using var forwarder = new Forwarder(new IPEndPoint(IPAddress.Loopback, 0), _slot);
        forwarder.Start();
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        stranger.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        using var known = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        known.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var to = forwarder.LocalEndPoint;
        stranger.SendTo(Datagram(9000), to); // not on the sender list (and its tick is not believed)
        var bad = Datagram(2000);
        bad[1] = (byte)'X';
        known.SendTo(bad, to);
        known.SendTo(new byte[5], to); // too short for a header
        known.SendTo(Datagram(5), to); // before epoch 1
        known.SendTo(Datagram(6000), to); // epoch 2 names no member
        known.SendTo(Datagram(2000), to); // forwarded: slot 2000 & 511 = 464, member 0
        await Eventually.Until(() => forwarder.ReceivedPackets == 6 && forwarder.ForwardedPackets == 1, "six datagrams seen, one forwarded");
        var d = forwarder.Drops;
        Assert.Equal((1L, 2L, 1L, 1L), (d.SenderNotAllowed, d.BadHeader, d.NoEpoch, d.NoMember));
        Assert.Equal(6000UL, forwarder.MaxTick); // the stranger's 9000 does not count
        var at0 = new List<(int, byte[])>();
        await Eventually.Until(() => Drain(0, at0).Count == 1, "member 0 got its datagram");
        Assert.Empty(Drain(1, []));
        Assert.Equal((1L, 0L), (_counters[0].Packets, _counters[1].Packets));
    }

    [Fact]
    public async Task A_newly_published_table_takes_effect_for_the_next_datagrams()
    {
        _slot.Publish(Table([new Epoch(1, 0, [.. Enumerable.Repeat(0, 512)])]));
        using var forwarder = new Forwarder(new IPEndPoint(IPAddress.Loopback, 0), _slot);
        forwarder.Start();
        using var known = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        known.SendTo(Datagram(1), forwarder.LocalEndPoint);
        await Eventually.Until(() => _counters[0].Packets == 1, "member 0 got the first");
        _slot.Publish(Table([new Epoch(1, 0, [.. Enumerable.Repeat(1, 512)])]));
        known.SendTo(Datagram(1), forwarder.LocalEndPoint);
        await Eventually.Until(() => _counters[1].Packets == 1, "member 1 got the second");
        Assert.Equal(1, _counters[0].Packets);
    }

    [Fact]
    public void Forwarding_allocates_nothing_per_datagram()
    {
        _slot.Publish(Table());
        using var forwarder = new Forwarder(new IPEndPoint(IPAddress.Loopback, 0), _slot);
        using var known = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        known.Connect(forwarder.LocalEndPoint);
        var datagrams = Enumerable.Range(0, 50).Select(i => Datagram((ulong)i, 200)).ToArray();
        var sink = new byte[9000];
        long allocated = 0;
        const int WarmUp = 50; // rounds not measured: the table is adopted, and the JIT's tiering (and on-stack
                               // replacement of this loop) is done; on a loaded machine it comes later than on an idle one
        for (var round = 0; round < WarmUp + 200; round++) // 200 measured rounds of 50: 10,000 datagrams
        {
            foreach (var d in datagrams) known.Send(d);
            var received = 0;
            while (received < datagrams.Length)
            {
                // Only the forwarder's own calls are measured: the test's wait below (taken more often on a loaded
                // machine) is not the forwarder's.
                var before = GC.GetAllocatedBytesForCurrentThread();
                var n = forwarder.Pump();
                if (round >= WarmUp) allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                if (n == 0) known.Poll(100, SelectMode.SelectRead); // (the forwarder's socket fills: just wait a little)
                received += n;
            }

            foreach (var s in _members.SelectMany(m => m))
            {
                while (s.Available > 0) s.Receive(sink);
            }
        }

        Assert.Equal((WarmUp + 200) * 50, forwarder.ReceivedPackets);
        Assert.Equal((WarmUp + 200) * 50, forwarder.ForwardedPackets);
        Assert.True(allocated < 1024, $"{allocated} bytes allocated forwarding 10,000 datagrams");
    }

    [Fact]
    public void Stop_is_prompt_and_a_taken_port_fails_in_one_line()
    {
        var forwarder = new Forwarder(new IPEndPoint(IPAddress.Loopback, 0), _slot);
        forwarder.Start();
        Assert.True(forwarder.Running);
        var e = Assert.Throws<IOException>(() => new Forwarder(forwarder.LocalEndPoint, _slot));
        Assert.Equal($"UDP 127.0.0.1:{forwarder.LocalEndPoint.Port} is already in use (another load balancer or program holds it)", e.Message);
        var watch = Stopwatch.StartNew();
        forwarder.Dispose();
        Assert.True(watch.ElapsedMilliseconds < 500, $"stop took {watch.ElapsedMilliseconds} ms");
        Assert.False(forwarder.Running);
        Assert.Null(forwarder.Failure);
    }
}

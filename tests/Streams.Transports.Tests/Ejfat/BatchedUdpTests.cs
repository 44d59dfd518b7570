using System.Net;
using System.Net.Sockets;
using Streams.Transports.Ejfat.Udp;

namespace Streams.Transports.Tests.Ejfat;

/// <summary>recvmmsg/sendmmsg batches (and their per-datagram fallback) on real loopback sockets.</summary>
public sealed class BatchedUdpTests
{
    /// <summary>The native path where the platform has it, and the fallback everywhere.</summary>
    public static TheoryData<bool> Paths()
    {
        var paths = new TheoryData<bool> { false };
        if (BatchedUdp.IsSupported) paths.Add(true);
        return paths;
    }

    private static Socket Udp(IPAddress at, int port = 0)
    {
        var s = new Socket(at.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(at, port));
        return s;
    }

    private static byte[] Payload(int i) => [.. Enumerable.Range(0, 10 + (i * 37)).Select(k => (byte)(k + i))];

    [Fact]
    public void Linux_x64_and_arm64_use_the_batched_calls()
    {
        Assert.Equal(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64, BatchedUdp.IsSupported);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_batch_receive_brings_every_waiting_datagram_with_its_length_and_source(bool native)
    {
        using var rx = Udp(IPAddress.Loopback);
        using var tx = Udp(IPAddress.Loopback);
        var to = rx.LocalEndPoint!;
        for (var i = 0; i < 20; i++) tx.SendTo(Payload(i), to);
        var batch = new DatagramBatch(8);
        var got = new List<(byte[] Data, IPEndPoint From)>();
        await Eventually.Until(() =>
        {
            var n = BatchedUdp.Receive(rx, batch, native);
            Assert.True(n <= 8);
            Assert.Equal(n, batch.Count);
            for (var i = 0; i < n; i++) got.Add((batch.Datagram(i).ToArray(), batch.SourceEndPoint(i)));
            return got.Count >= 20;
        }, "20 datagrams received");
        Assert.Equal(20, got.Count);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(Payload(i), got[i].Data);
            Assert.Equal(tx.LocalEndPoint, got[i].From);
        }

        Assert.Equal(0, BatchedUdp.Receive(rx, batch, native)); // nothing waits: 0 at once, not a block
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_batch_send_addresses_each_datagram_on_its_own_over_IPv4_and_dual_stack_IPv6(bool native)
    {
        using var a = Udp(IPAddress.Loopback);
        using var b = Udp(IPAddress.Loopback);
        foreach (var dual in new[] { false, true })
        {
            using var tx = new Socket(dual ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            if (dual) tx.DualMode = true;
            var batch = new DatagramBatch(6);
            var loopback = UdpAddress.From(IPAddress.Loopback, asIPv6: dual);
            for (var i = 0; i < 6; i++)
            {
                var payload = Payload(i);
                payload.CopyTo(batch.Slot(i)[3..]);
                var port = ((IPEndPoint)(i % 2 == 0 ? a : b).LocalEndPoint!).Port;
                batch.SetOutgoing(i, 3, payload.Length, loopback, port);
            }

            var sent = 0;
            while (sent < 6)
            {
                var n = BatchedUdp.Send(tx, batch, sent, 6 - sent, out var error, native);
                Assert.True(n >= 0, $"send failed: {error}");
                sent += n;
            }

            for (var i = 0; i < 6; i++) Assert.Equal(Payload(i).Length, batch.Length(i));
            var buffer = new byte[9000];
            foreach (var (socket, first) in new[] { (a, 0), (b, 1) })
            {
                for (var i = first; i < 6; i += 2)
                {
                    await Eventually.Until(() => socket.Available > 0, $"datagram {i} arrived");
                    var n = socket.Receive(buffer);
                    Assert.Equal(Payload(i), buffer[..n]);
                }
            }
        }
    }

    [Fact]
    public void Receiving_and_sending_batches_allocate_nothing()
    {
        if (!BatchedUdp.IsSupported) return;
        using var rx = Udp(IPAddress.Loopback);
        using var tx = Udp(IPAddress.Loopback);
        var port = ((IPEndPoint)rx.LocalEndPoint!).Port;
        var outgoing = new DatagramBatch(16);
        var incoming = new DatagramBatch(16);
        var to = UdpAddress.From(IPAddress.Loopback, asIPv6: false);
        for (var i = 0; i < 16; i++) outgoing.SetOutgoing(i, 0, 100 + i, to, port);
        void Round()
        {
            var sent = 0;
            while (sent < 16) sent += Math.Max(0, BatchedUdp.Send(tx, outgoing, sent, 16 - sent, out _));
            var received = 0;
            while (received < 16)
            {
                var n = BatchedUdp.Receive(rx, incoming);
                if (n == 0) rx.Poll(1000, SelectMode.SelectRead);
                for (var i = 0; i < n; i++)
                {
                    if (incoming.Length(i) != 100 + received + i) throw new InvalidOperationException($"datagram {received + i}: {incoming.Length(i)} bytes");
                }

                received += n;
            }
        }

        // Warm-up: the first calls bind the P/Invoke stubs, and the JIT's tiering is done before measuring (on a loaded
        // machine it comes later than on an idle one).
        for (var r = 0; r < 50; r++) Round();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var r = 0; r < 500; r++) Round();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for 8,000 datagrams sent and received");
    }
}

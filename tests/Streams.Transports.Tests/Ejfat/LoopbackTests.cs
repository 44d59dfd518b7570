using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.Transports.Ejfat;
using Streams.Transports.Ejfat.Sending;
using Streams.Transports.Ejfat.Wire;
using Streams.Transports.Files;

namespace Streams.Transports.Tests.Ejfat;

/// <summary>Sender and receiver over real loopback UDP sockets.</summary>
public sealed class LoopbackTests : IDisposable
{
    private readonly TempDir _tmp = new();

    private static OperatorCatalog Catalog() => Catalogs.Full();

    private static Pipeline Receiver(string yamlSink, int port, int k, int threads, long events, LogCapture log)
    {
        var yaml = $$$"""
            name: rx
            sources:
              - {name: rx, operator: ejfat-receiver, config: {bind: 127.0.0.1, port: {{{port}}}, port-range: {{{k}}}, threads: {{{threads}}}, timeout-ms: 2000}}
            sinks:
              - {{{yamlSink}}}
            """;
        var p = Pipeline.Create(Pipelines.Plan(yaml, Catalog(), "rx.yaml"), new PipelineOptions { EventLimit = events, SampleInterval = TimeSpan.FromMilliseconds(100), Log = new RunLog(log) });
        return p;
    }

    /// <summary>The receiver logs "listening on" once every socket is bound (probing the port could steal it).</summary>
    private static Task WaitListening(LogCapture log) => Eventually.Until(() => log.ToString().Contains("listening on", StringComparison.Ordinal), "the receiver listening");

    [Fact]
    public async Task Sender_to_receiver_on_four_ports_with_two_threads_is_byte_exact()
    {
        const int k = 2, n = 400;
        using var held = Ports.HoldUdpRange(1 << k);
        var port = held.Port;
        var file = _tmp.File("rx.arrow");
        using var log = new LogCapture();
        using var p = Receiver($"{{name: out, operator: arrow-file-sink, input: rx, queue: 1024, config: {{path: '{file}'}}}}", port, k, 2, n, log);
        var run = p.RunAsync();
        await WaitListening(log);

        var r = new Random(11);
        var sent = new Dictionary<ulong, string>();
        using (var sender = new EjfatSender(new SenderOptions { Destination = IPAddress.Loopback, BasePort = port, PortRange = k, GbitPerSecond = 0.5, Frame = new FrameOptions { MaxPayload = EjfatWire.MaxPayload(1500) } }))
        {
            for (ulong e = 0; e < n; e++)
            {
                var ev = new byte[r.Next(1, 30_000)];
                r.NextBytes(ev);
                sent[e] = Convert.ToHexString(SHA256.HashData(ev));
                sender.Send(ev, e, (ushort)(e % 3), e, (ushort)e);
            }
        }

        var s = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new EventTotals(n, n, 0, 0, 0), s.Events);
        var received = ReadDigests(file);
        Assert.Equal(sent.OrderBy(x => x.Key), received.OrderBy(x => x.Key));
        Assert.NotNull(s.Sections);
        Assert.Contains("\"ejfat\"", s.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flood_of_garbage_is_counted_and_the_receiver_keeps_working()
    {
        using var held = Ports.HoldUdpRange(1);
        var port = held.Port;
        using var log = new LogCapture();
        using var p = Receiver("{name: out, operator: count, input: rx}", port, 0, 1, 50, log);
        var run = p.RunAsync();
        await WaitListening(log);
        using (var raw = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            var r = new Random(3);
            var to = new IPEndPoint(IPAddress.Loopback, port);
            for (var i = 0; i < 2000; i++)
            {
                var junk = new byte[r.Next(0, 9000)];
                r.NextBytes(junk);
                if (junk.Length > 0) junk[0] = (byte)(i % 2 == 0 ? 'L' : 0xF0); // half look like LB headers, none valid
                if (junk.Length > 1 && i % 2 == 0) junk[1] = 0x00;
                raw.SendTo(junk, to);
                if (i % 200 == 0) await Task.Delay(5);
            }

            using var sender = new EjfatSender(new SenderOptions { Destination = IPAddress.Loopback, BasePort = port });
            for (ulong e = 0; e < 50; e++) sender.Send(new byte[20_000], e, 0, e, 0);
        }

        var s = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(50, s.Events.Processed);
        var json = s.ToJson();
        Assert.Contains("\"badHeader\": 2000", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_pipeline_discards_and_counts_instead_of_blocking_the_socket()
    {
        using var held = Ports.HoldUdpRange(1);
        var port = held.Port;
        using var log = new LogCapture();
        using var p = Receiver("{name: out, operator: count, input: rx, queue: 1, config: {stall-seconds: 2}}", port, 0, 1, 0, log);
        var run = p.RunAsync();
        await WaitListening(log);
        using (var sender = new EjfatSender(new SenderOptions { Destination = IPAddress.Loopback, BasePort = port, EventsPerSecond = 2000 }))
        {
            for (ulong e = 0; e < 1000; e++) sender.Send(new byte[1000], e, 0, e, 0);
        }

        await Eventually.WaitUntil(() => p.Accounts.Received == 1000); // every event arrived: taken or discarded at the full queue
        p.StopIntake("test done");
        var s = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(s.Events.Discarded > 0, s.ToJson());
        Assert.Equal(1000, s.Events.Received);
        Assert.True(s.Events.Balanced);
        Assert.Matches("\"queueFull\": [1-9]", s.ToJson());
    }

    [Fact]
    public void The_sender_sends_sync_packets_about_once_a_second()
    {
        using var control = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        control.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        control.ReceiveTimeout = 5000;
        var syncAt = (IPEndPoint)control.LocalEndPoint!;
        using var held = Ports.HoldUdpRange(1);
        var dataPort = held.Port;
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.Bind(new IPEndPoint(IPAddress.Loopback, dataPort)); // somebody must listen, or loopback answers with ICMP
        // The Sync clock is the test's: 330 events 5 ms apart (1.65 s at 200 events/s), however busy the machine is.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using (var sender = new EjfatSender(new SenderOptions { Destination = IPAddress.Loopback, BasePort = dataPort, Sync = syncAt, EventSourceId = 77, Time = time }))
        {
            for (ulong e = 0; e < 330; e++)
            {
                sender.Send(new byte[100], e, 0, e, 0);
                time.Advance(TimeSpan.FromMilliseconds(5));
            }

            Assert.Equal(2, sender.SyncsSent);
        }

        var packets = new List<SyncHeader>();
        var buf = new byte[100];
        for (var i = 0; i < 2; i++)
        {
            var n = control.Receive(buf);
            Assert.True(SyncHeader.TryRead(buf.AsSpan(0, n), out var h));
            packets.Add(h);
        }

        Assert.All(packets, p => Assert.Equal(77u, p.EventSourceId));
        Assert.Equal(0ul, packets[0].EventNumber);
        Assert.Equal(200ul, packets[1].EventNumber); // the first event sent 1 s after the first Sync
        Assert.Equal(200u, packets[1].AverageEventRateHz); // the rate since the last Sync: events 1..200 in 1.0 s
        Assert.Equal((ulong)time.GetUtcNow().AddMilliseconds(-650).ToUnixTimeMilliseconds() * 1_000_000UL, packets[1].UnixTimeNanoseconds);
    }

    private static Dictionary<ulong, string> ReadDigests(string path)
    {
        var d = new Dictionary<ulong, string>();
        using var stream = File.OpenRead(path);
        using var reader = new ArrowFileReader(stream);
        while (reader.ReadNextRecordBatch() is { } rb)
        {
            using (rb)
            {
                var num = (UInt64Array)rb.Column("event_number");
                var payload = (BinaryArray)rb.Column("payload");
                for (var i = 0; i < rb.Length; i++) d.Add(num.GetValue(i)!.Value, Convert.ToHexString(SHA256.HashData(payload.GetBytes(i))));
            }
        }

        return d;
    }

    public void Dispose() => _tmp.Dispose();

    /// <summary>A log the test can read while the pipeline writes to it.</summary>
    private sealed class LogCapture : StringWriter
    {
        private readonly Lock _gate = new();

        public override void WriteLine(string? value)
        {
            lock (_gate) base.WriteLine(value);
        }

        public override string ToString()
        {
            lock (_gate) return base.ToString();
        }
    }
}

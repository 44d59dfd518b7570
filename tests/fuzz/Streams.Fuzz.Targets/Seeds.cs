using System.Text;
using Apache.Arrow;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Operators.Clas12.Decoding;
using Streams.Operators.Clas12.Evio;
using Streams.Operators.Clas12.Simulation;
using Streams.Transports.Ejfat.Sending;
using Streams.Transports.Ejfat.Wire;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Framing;
using WireProtocol = Streams.Transports.ZeroMq.Coordination.Protocol;

namespace Streams.Fuzz.Targets;

/// <summary>Seed inputs made by the project's own code: the EJFAT segmenter, the CLAS12 simulator, the batch encoder.</summary>
public static partial class Seeds
{
    /// <summary>Seeds of <paramref name="target"/> by file name (the yaml seeds are deploy/pipelines, copied by run.sh).</summary>
    public static IEnumerable<(string Name, byte[] Data)> For(string target) => target switch
    {
        "ejfat" => Ejfat(),
        "evio" => Evio(),
        "evio-reader" => EvioReader(),
        "hipo" => Hipo(),
        "frames" => Frames(),
        "protocol" => Protocol(),
        _ => [],
    };

    private static List<byte[]> SimulatedEvents(int n, int seed)
    {
        var sim = new Clas12Simulator(new SimulationOptions { Seed = seed });
        var ev = new EvioEvent();
        var list = new List<byte[]>();
        for (var i = 0; i < n; i++)
        {
            sim.Generate(ev);
            var b = new byte[Evio6.SizeOf(ev)];
            Evio6.Write(ev, b);
            list.Add(b);
        }

        return list;
    }

    private static IEnumerable<(string, byte[])> Ejfat()
    {
        var events = SimulatedEvents(3, 7);
        events.Add([]);
        foreach (var (lb, re, mtu, name) in new[] { ((byte)2, (byte)1, 1500, "lb2-re1-mtu1500"), ((byte)3, (byte)1, 9000, "lb3-re1-mtu9000"), ((byte)0, (byte)2, 600, "nolb-re2-mtu600") })
        {
            var frame = new FrameOptions { LbVersion = lb, ReVersion = re, MaxPayload = Math.Max(64, EjfatWire.MaxPayload(mtu) / 8) };
            var datagrams = new List<byte[]>();
            for (var e = 0; e < events.Count; e++)
            {
                var n = Segmenter.SegmentCount(events[e].Length, frame.MaxPayload);
                var order = Enumerable.Range(0, n).ToList();
                if (name.StartsWith("lb3", StringComparison.Ordinal)) order.Reverse(); // out of order
                foreach (var k in order)
                {
                    var d = new byte[frame.HeaderBytes + frame.MaxPayload];
                    var len = Segmenter.Write(d, events[e], k, frame, (ulong)(100 + e), (ushort)(e % 2), (ulong)(1000 + e), (ushort)e);
                    datagrams.Add(d[..len]);
                }
            }

            datagrams.Add(datagrams[0]); // a late duplicate
            var control = (byte)(lb == 0 ? 2 : 0);
            yield return (name, [control, .. FuzzSupport.Join(datagrams)]);
        }

        var sync = new byte[SyncHeader.Size];
        new SyncHeader(1, 42, 1000, 1_700_000_000_000_000_000).Write(sync);
        yield return ("sync-packet", [0, .. FuzzSupport.Join([sync])]);
    }

    private static IEnumerable<(string, byte[])> Evio()
    {
        yield return ("simulated-4", FuzzSupport.Join(SimulatedEvents(4, 1)));
        yield return ("simulated-1", FuzzSupport.Join(SimulatedEvents(1, 2)));
        var empty = new byte[Evio6.SizeOf(new EvioEvent())];
        Evio6.Write(new EvioEvent(), empty);
        yield return ("empty-event", FuzzSupport.Join([empty]));
    }

    private static EventBatch BytesBatch(List<byte[]> payloads, string type)
    {
        using var b = new EventBatchBuilder(payloads.Count, payloads.Sum(p => p.Length) + 1);
        for (var i = 0; i < payloads.Count; i++) b.Add(new EventMeta((ulong)i, 1, (ulong)(i * 3), 0), payloads[i]);
        return b.Build(type);
    }

    /// <summary>A batch of decoded hits (Arrow), as clas12-decode makes it for the next stage.</summary>
    private static EventBatch ArrowBatch()
    {
        using var input = BytesBatch(SimulatedEvents(2, 3), "evio/clas12");
        using var host = new Streams.Engine.Runtime.OperatorHost(Clas12Decoder.Descriptor, new Streams.Engine.Operators.OperatorConfig(Clas12Decoder.Descriptor.Parameters), "decode", 0, Streams.Engine.Operators.RunLog.Null);
        return host.Process(input).Output!;
    }

    private static byte[] Frames(EventBatch batch, ulong id)
    {
        var e = BatchFrames.Encode(batch, id);
        return FuzzSupport.Join([e.Header, e.Meta, e.Payload[..e.PayloadLength]]);
    }

    private static IEnumerable<(string, byte[])> Frames()
    {
        using var bytes = BytesBatch([[1, 2, 3], [], [4, 5, 6, 7, 8]], "binary/ejfat");
        yield return ("bytes-3", Frames(bytes, 7));
        using var none = BytesBatch([], "binary/ejfat");
        yield return ("bytes-0", Frames(none, 9));
        using var arrow = ArrowBatch();
        yield return ("arrow-hits-2", Frames(arrow, 8));
    }

    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    private static IEnumerable<(string, byte[])> Protocol()
    {
        var hello = new WorkerHello("w1", "node1", 1234, WireProtocol.Version, "streams 0.1.0") { Metrics = "127.0.0.1:9500" };
        yield return ("hello", [0, .. FuzzSupport.Join([Text("HELLO"), WireProtocol.ToJson(hello), []])]);
        yield return ("credit", [0, .. FuzzSupport.Join([Text("CREDIT"), Text("tracking"), WireProtocol.U32(8), WireProtocol.U32(2)])]);
        var config = new Dictionary<string, WireConfigValue>(StringComparer.Ordinal) { ["work-us"] = new("10", null) };
        var welcome = new Welcome("w1", "p", [new StageDefinition("reconstruct", "cpu-burn", 2, "binary/ejfat", config), new StageDefinition("track", "clas12-dc-tracking", 1, "hits/clas12", new Dictionary<string, WireConfigValue>())], 1000, 5000);
        yield return ("welcome", [0, .. FuzzSupport.Join([Text("WELCOME"), WireProtocol.ToJson(welcome)])]);
        using var bytes = BytesBatch([[1, 2], [3, 4, 5]], "binary/ejfat");
        var e = BatchFrames.Encode(bytes, 5);
        yield return ("work", [0, .. FuzzSupport.Join([Text("WORK"), Text("reconstruct"), e.Header, e.Meta, e.Payload[..e.PayloadLength]])]);
        var failures = WireProtocol.ToJson(new List<WireFailure> { new(2, "bad event", Streams.Engine.Operators.Severity.Error) });
        yield return ("result-bytes", [3, .. FuzzSupport.Join([Text("RESULT"), e.Header, e.Meta, e.Payload[..e.PayloadLength], WireProtocol.Indices([0, 1]), failures])]);
        using var arrow = ArrowBatch();
        var a = BatchFrames.Encode(arrow, 6);
        yield return ("result-arrow", [1, .. FuzzSupport.Join([Text("RESULT"), a.Header, a.Meta, a.Payload[..a.PayloadLength], WireProtocol.Indices([0, 1]), []])]);
    }
}

using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using NetMQ;
using NetMQ.Sockets;
using Streams.Engine.Batches;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Benchmarks;

/// <summary>
/// Arrow batches over NetMQ PUSH/PULL on tcp://127.0.0.1, as the coordinator and workers move them: a sender thread
/// encodes the batch (<see cref="BatchFrames.Encode"/>) and sends its three frames, a receiver thread decodes every
/// message back into a batch. Reports payload MB/s; perf/zmq-throughput.sh compares it with a pyzmq (libzmq) pair
/// moving single-frame messages of the same size, in the same run.
/// <c>dotnet run -c Release --project perf/Streams.Benchmarks -- zmq-throughput --size 65536 --seconds 5</c>
/// </summary>
public static class ZmqThroughput
{
    public static int Run(string[] args)
    {
        var size = Arg(args, "--size", 65536);
        var seconds = Arg(args, "--seconds", 5);
        if (System.Array.IndexOf(args, "--codec") >= 0) return Codec(size);
        var mode = System.Array.IndexOf(args, "--raw") >= 0 ? "raw" : "full"; // raw: NetMQ alone, single frames, no Streams framing
        var batch = MakeBatch(size);
        ZmqSend.UsePooledBuffers();
        var encodedSize = BatchFrames.Encode(batch, 0).PayloadLength;

        using var pull = new PullSocket();
        var port = pull.BindRandomPort("tcp://127.0.0.1");
        pull.Options.ReceiveHighWatermark = 1000;
        var kernelBuffer = Arg(args, "--socket-buffer", 0); // SO_SNDBUF / SO_RCVBUF, bytes (0: the system's)
        if (kernelBuffer > 0) pull.Options.ReceiveBuffer = kernelBuffer;
        using var stop = new CancellationTokenSource();
        long received = 0, bytes = 0;
        var receiver = new Thread(() =>
        {
            var one = new Msg();
            one.InitEmpty();
            while (!stop.IsCancellationRequested && mode == "raw")
            {
                if (!pull.TryReceive(ref one, TimeSpan.FromMilliseconds(100))) continue;
                Interlocked.Add(ref bytes, one.Size);
                Interlocked.Increment(ref received);
            }

            while (!stop.IsCancellationRequested)
            {
                if (!ZmqReceive.TryReceiveBatch(pull, TimeSpan.FromMilliseconds(100), out var back, out var n)) continue;
                back!.Dispose();
                Interlocked.Add(ref bytes, n);
                Interlocked.Increment(ref received);
            }
        }) { IsBackground = true };
        receiver.Start();

        var sender = new Thread(() =>
        {
            using var push = new PushSocket();
            push.Options.SendHighWatermark = 1000;
            push.Options.Linger = TimeSpan.Zero;
            if (kernelBuffer > 0) push.Options.SendBuffer = kernelBuffer;
            push.Connect($"tcp://127.0.0.1:{port}");
            ulong id = 0;
            var raw = new byte[encodedSize];
            while (!stop.IsCancellationRequested && mode == "raw")
            {
                push.TrySendFrame(TimeSpan.FromMilliseconds(100), raw);
            }

            while (!stop.IsCancellationRequested)
            {
                var e = BatchFrames.Encode(batch, ++id);
                ZmqSend.SendBatch(push, e);
                e.Release();
            }
        }) { IsBackground = true };
        sender.Start();

        Thread.Sleep(1000); // warm-up
        var (m0, b0) = (Interlocked.Read(ref received), Interlocked.Read(ref bytes));
        var clock = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        var (m1, b1) = (Interlocked.Read(ref received), Interlocked.Read(ref bytes));
        var elapsed = clock.Elapsed.TotalSeconds;
        stop.Cancel();
        sender.Join(2000);
        receiver.Join(2000);
        var mbps = (b1 - b0) / elapsed / 1e6;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"impl\": \"{(mode == "raw" ? "netmq-raw" : "streams-netmq-arrow")}\", \"size\": {size}, \"payloadBytes\": {encodedSize}, \"rows\": {batch.Count}, \"messagesPerSecond\": {(m1 - m0) / elapsed:0}, \"mbPerSecond\": {mbps:0.0}}}"));
        batch.Dispose();
        return 0;
    }

    /// <summary>
    /// Time per batch of each step of the Streams path without sockets: encode (Arrow IPC + frames), the copy into a
    /// NetMQ message, and decode (with the payload copy the receiver makes). <c>zmq-throughput --size N --codec</c>.
    /// </summary>
    public static int Codec(int size)
    {
        using var batch = MakeBatch(size);
        ZmqSend.UsePooledBuffers();
        var e0 = BatchFrames.Encode(batch, 0);
        var header = BatchFrames.ReadHeader(e0.Header);
        double Time(Action step)
        {
            for (var i = 0; i < 200; i++) step();
            var clock = Stopwatch.StartNew();
            var n = 0;
            while (clock.Elapsed.TotalSeconds < 2)
            {
                step();
                n++;
            }

            return clock.Elapsed.TotalMilliseconds * 1000 / n;
        }

        var encode = Time(() => BatchFrames.Encode(batch, 1).Release());
        var copy = Time(() =>
        {
            var msg = new Msg();
            msg.InitPool(e0.PayloadLength);
            e0.Payload.AsSpan(0, e0.PayloadLength).CopyTo(msg.Slice());
            msg.Close();
        });
        var decode = Time(() => BatchFrames.Decode(header, e0.Meta, e0.Payload.AsMemory(0, e0.PayloadLength), copyPayload: true).Dispose());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"size\": {size}, \"encodeUs\": {encode:0.0}, \"copyIntoMsgUs\": {copy:0.0}, \"decodeUs\": {decode:0.0}}}"));
        return 0;
    }

    /// <summary>An Arrow batch (event number + binary payload columns) whose IPC encoding is about <paramref name="size"/> bytes.</summary>
    internal static EventBatch MakeBatch(int size)
    {
        var rows = size >= 1 << 20 ? 256 : 64;
        var per = Math.Max(1, (size / rows) - 16);
        var numbers = new UInt64Array.Builder();
        var payloads = new BinaryArray.Builder();
        var rng = new Random(1);
        var buf = new byte[per];
        var meta = new EventMeta[rows];
        for (var i = 0; i < rows; i++)
        {
            rng.NextBytes(buf);
            numbers.Append((ulong)i);
            payloads.Append(buf.AsSpan());
            meta[i] = new EventMeta((ulong)i, 0, (ulong)i, 0);
        }

        var schema = new Schema.Builder()
            .Field(f => f.Name("event").DataType(Apache.Arrow.Types.UInt64Type.Default))
            .Field(f => f.Name("payload").DataType(Apache.Arrow.Types.BinaryType.Default))
            .Build();
        return EventBatch.FromSource(meta, "arrow/bench", new RecordBatch(schema, [numbers.Build(), payloads.Build()], rows));
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = System.Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

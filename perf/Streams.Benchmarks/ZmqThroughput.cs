using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using NetMQ;
using NetMQ.Sockets;
using Streams.Engine.Batches;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Benchmarks;

/// <summary>
/// Arrow batches over NetMQ PUSH/PULL on tcp://127.0.0.1, as a zmq-push sink and a zmq-pull source move them: a
/// sender encodes each batch into its three frames (<see cref="ZmqSend.SendBatch(NetMQ.IOutgoingSocket, EventBatch, ulong, bool)"/>),
/// a receiver decodes every message back into a batch (<see cref="ZmqReceive.TryReceiveBatch"/>) and disposes it.
/// Reports payload MB/s; perf/zmq-throughput.sh compares it with a pyzmq (libzmq) pair moving single-frame messages of
/// the same size, in the same run.
/// <c>dotnet run -c Release --project perf/Streams.Benchmarks -- zmq-throughput --size 65536 --seconds 5</c>; options:
/// <c>--warmup S</c>, <c>--processes</c> (sender in a child process), <c>--raw</c> (NetMQ alone, single frames),
/// <c>--hwm N</c>, <c>--io-threads N</c>, <c>--socket-buffer BYTES</c>, <c>--codec</c> (time per step, no sockets).
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
        var kernelBuffer = Arg(args, "--socket-buffer", 0); // SO_SNDBUF / SO_RCVBUF, bytes (0: the system's)
        var sendTo = Arg(args, "--send-to", 0);
        var hwm = Arg(args, "--hwm", 64); // batches queued per socket, as the zmq-push and zmq-pull operators' default
        var ioThreads = Arg(args, "--io-threads", 1); // NetMQ I/O threads per process, as libzmq's default
        NetMQConfig.ThreadPoolSize = ioThreads;
        if (sendTo > 0)
        {
            // Child of --processes: sends until its parent kills it, or goes when the parent's end of stdin closes.
            new Thread(() =>
            {
                while (Console.In.Read() >= 0)
                {
                }

                Environment.Exit(0);
            }) { IsBackground = true }.Start();
            Send(sendTo, mode, batch, encodedSize, kernelBuffer, hwm, CancellationToken.None);
            return 0;
        }

        using var pull = new PullSocket();
        var port = pull.BindRandomPort("tcp://127.0.0.1");
        pull.Options.ReceiveHighWatermark = hwm;
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

        Process? child = null;
        Thread? sender = null;
        if (System.Array.IndexOf(args, "--processes") >= 0)
        {
            // The sender in a process of its own, as a coordinator and a worker are.
            var self = Environment.ProcessPath!;
            var start = new ProcessStartInfo(self) { RedirectStandardInput = true }; // closes if this process dies
            if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(ZmqThroughput).Assembly.Location);
            foreach (var a in new[] { "zmq-throughput", "--send-to", port.ToString(CultureInfo.InvariantCulture), "--size", size.ToString(CultureInfo.InvariantCulture), "--socket-buffer", kernelBuffer.ToString(CultureInfo.InvariantCulture), "--hwm", hwm.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
            if (mode == "raw") start.ArgumentList.Add("--raw");
            child = Process.Start(start)!;
        }
        else
        {
            sender = new Thread(() => Send(port, mode, batch, encodedSize, kernelBuffer, hwm, stop.Token)) { IsBackground = true };
            sender.Start();
        }

        Thread.Sleep(TimeSpan.FromSeconds(Arg(args, "--warmup", 1))); // warm-up (and the JIT's tiers)
        var (m0, b0) = (Interlocked.Read(ref received), Interlocked.Read(ref bytes));
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        var (m1, b1) = (Interlocked.Read(ref received), Interlocked.Read(ref bytes));
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds; // this process: both sides unless --processes
        var elapsed = clock.Elapsed.TotalSeconds;
        stop.Cancel();
        sender?.Join(2000);
        if (child is not null)
        {
            child.Kill();
            child.WaitForExit(5000);
        }

        receiver.Join(2000);
        var mbps = (b1 - b0) / elapsed / 1e6;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"impl\": \"{(mode == "raw" ? "netmq-raw" : "streams-netmq-arrow")}\", \"size\": {size}, \"payloadBytes\": {encodedSize}, \"rows\": {batch.Count}, \"messagesPerSecond\": {(m1 - m0) / elapsed:0}, \"mbPerSecond\": {mbps:0.0}, \"cpuMsPerGB\": {cpu / ((b1 - b0) / 1e9):0}, \"poolAllocations\": {ZmqSend.Pool.Allocations}, \"poolReuses\": {ZmqSend.Pool.Reuses}}}"));
        batch.Dispose();
        return 0;
    }

    private static void Send(int port, string mode, EventBatch batch, int encodedSize, int kernelBuffer, int hwm, CancellationToken stop)
    {
        using var push = new PushSocket();
        push.Options.SendHighWatermark = hwm;
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
            ZmqSend.SendBatch(push, batch, ++id);
        }
    }

    /// <summary>
    /// Time per batch of each step of the Streams path without sockets: measuring the Arrow payload, encoding it into a
    /// pooled NetMQ message, and decoding it in place. <c>zmq-throughput --size N --codec</c>.
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

        var measure = Time(() => BatchFrames.MeasureArrow(batch.Records!));
        var encode = Time(() =>
        {
            var msg = new Msg();
            msg.InitPool(e0.PayloadLength);
            System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(msg.SliceAsMemory(), out var target);
            using (var stream = new MemoryStream(target.Array!, target.Offset, e0.PayloadLength, writable: true)) BatchFrames.WriteArrow(batch.Records!, stream);
            msg.Close();
        });
        var decode = Time(() => BatchFrames.Decode(header, e0.Meta, e0.Payload.AsMemory(0, e0.PayloadLength)).Dispose());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"size\": {size}, \"measureUs\": {measure:0.0}, \"encodeIntoMsgUs\": {encode:0.0}, \"decodeInPlaceUs\": {decode:0.0}}}"));
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

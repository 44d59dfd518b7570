using System.Runtime.InteropServices;
using NetMQ;
using Streams.Engine.Batches;

namespace Streams.Transports.ZeroMq.Framing;

/// <summary>NetMQ settings and sends shared by every Streams socket.</summary>
public static class ZmqSend
{
    private static int _pooled;

    /// <summary>
    /// Makes NetMQ take its message buffers from <see cref="MessageBufferPool"/> instead of allocating one per message:
    /// with 64 KiB - 1 MiB batches the allocations (and, past 85 KB, large-object-heap collections and the zeroing of
    /// fresh pages) otherwise dominate. Safe because every Streams receive closes its messages once it has copied or
    /// decoded what it keeps (<see cref="NetMQMessage"/> frames are copies too). Idempotent.
    /// </summary>
    public static void UsePooledBuffers()
    {
        if (Interlocked.Exchange(ref _pooled, 1) == 0) BufferPool.SetCustomBufferPool(Pool);
    }

    /// <summary>
    /// Lets socket completions run on the runtime's socket event thread rather than hopping to the thread pool
    /// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>), unless the environment already says otherwise. NetMQ's
    /// completion handlers only queue work for its own I/O thread, and no Streams code blocks in a socket continuation
    /// (the metrics endpoint and the Kubernetes client are the process's other async sockets). Measured with
    /// perf/Streams.Benchmarks <c>zmq-throughput</c> (2 cores, 3 alternating runs): 64 KiB batches took about 30 % less
    /// CPU per byte (1,420 -> 1,010 ms/GB); at 1 MiB the difference was within the machine's noise. The runtime reads
    /// the setting once, when the first socket is made: call this first thing in <c>Main</c>. Returns whether
    /// completions will run inline.
    /// </summary>
    public static bool PreferInlineSocketCompletions()
    {
        const string name = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        if (Environment.GetEnvironmentVariable(name) is null) Environment.SetEnvironmentVariable(name, "1");
        return Environment.GetEnvironmentVariable(name) == "1";
    }

    /// <summary>The pool NetMQ's messages come from once <see cref="UsePooledBuffers"/> has run.</summary>
    public static MessageBufferPool Pool { get; } = new();

    /// <summary>
    /// At process exit: lets NetMQ deliver what sockets still queue (each within its linger, for example a zmq-push
    /// sink whose peer connected late), waiting at most <paramref name="max"/>. Without it the process can end before
    /// NetMQ's I/O thread has written them. Does nothing if no ZeroMQ socket was made.
    /// </summary>
    public static void Shutdown(TimeSpan max)
    {
        if (Volatile.Read(ref _pooled) == 0) return;
        Task.Run(() => NetMQConfig.Cleanup(block: true)).Wait(max);
    }

    /// <summary>
    /// Encodes <paramref name="batch"/> under <paramref name="batchId"/> and sends its three frames. The payload is
    /// written straight into a pooled NetMQ message (its exact size measured first), so it is built once and never
    /// copied on this side of the kernel.
    /// </summary>
    public static void SendBatch(IOutgoingSocket socket, EventBatch batch, ulong batchId, bool more = false)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(batch);
        var (header, meta) = BatchFrames.EncodeHeaderAndMeta(batch, batchId);
        var msg = new Msg();
        msg.InitEmpty(); // so that the finally below may close it whatever fails
        try
        {
            if (batch.HasBytes)
            {
                msg.InitPool(batch.PayloadBytes);
                BatchFrames.CopyBytes(batch, msg.Slice());
            }
            else
            {
                var records = batch.Records!;
                var size = BatchFrames.MeasureArrow(records);
                msg.InitPool(size);
                if (!MemoryMarshal.TryGetArray<byte>(msg.SliceAsMemory(), out var target)) throw new InvalidOperationException("NetMQ message is not array-backed");
                using var stream = new MemoryStream(target.Array!, target.Offset, size, writable: true);
                BatchFrames.WriteArrow(records, stream);
                if (stream.Position != size) throw new InvalidOperationException($"Arrow payload came out at {stream.Position} bytes, measured {size}");
            }

            socket.SendMoreFrame(header).SendMoreFrame(meta);
            socket.Send(ref msg, more);
        }
        finally
        {
            msg.Close();
        }
    }
}

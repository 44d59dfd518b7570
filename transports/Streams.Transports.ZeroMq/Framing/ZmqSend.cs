using NetMQ;

namespace Streams.Transports.ZeroMq.Framing;

/// <summary>NetMQ settings and sends shared by every Streams socket.</summary>
public static class ZmqSend
{
    private static int _pooled;

    /// <summary>
    /// Makes NetMQ take its message buffers from a pool instead of allocating one per message: with 64 KiB - 1 MiB
    /// batches the allocations (and, past 85 KB, large-object-heap collections) otherwise dominate. Safe because Streams
    /// only receives through <see cref="NetMQMessage"/>, whose frames are copies. Idempotent.
    /// </summary>
    public static void UsePooledBuffers()
    {
        if (Interlocked.Exchange(ref _pooled, 1) == 0) BufferPool.SetBufferManagerBufferPool(512L * 1024 * 1024, 64 * 1024 * 1024);
    }

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
    /// Sends the three frames of a batch, copying the payload into a pooled NetMQ message (measured faster in NetMQ
    /// 4.0 than handing it the encoder's buffer).
    /// </summary>
    public static void SendBatch(IOutgoingSocket socket, EncodedBatch batch, bool more = false)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.SendMoreFrame(batch.Header).SendMoreFrame(batch.Meta);
        var msg = new Msg();
        msg.InitPool(batch.PayloadLength);
        batch.Payload.AsSpan(0, batch.PayloadLength).CopyTo(msg.Slice());
        try
        {
            socket.Send(ref msg, more);
        }
        finally
        {
            msg.Close();
        }
    }
}

using NetMQ;
using Streams.Engine.Batches;

namespace Streams.Transports.ZeroMq.Framing;

/// <summary>Receives batch messages straight from NetMQ's pooled buffers (no per-message frame copies).</summary>
public static class ZmqReceive
{
    /// <summary>
    /// Waits up to <paramref name="timeout"/> for one message and decodes it as a batch (the batch owns copies of what
    /// it needs; the socket's buffers go back to the pool). Returns false on timeout. A message that is not a batch
    /// is read to its end and reported as <see cref="FrameException"/>.
    /// </summary>
    public static bool TryReceiveBatch(NetMQSocket socket, TimeSpan timeout, out EventBatch? batch, out int payloadBytes)
    {
        ArgumentNullException.ThrowIfNull(socket);
        batch = null;
        payloadBytes = 0;
        var frames = new Msg[3];
        for (var i = 0; i < 3; i++) frames[i].InitEmpty();
        var count = 0;
        try
        {
            if (!socket.TryReceive(ref frames[0], timeout)) return false;
            count = 1;
            var more = frames[0].HasMore;
            var extra = new Msg();
            extra.InitEmpty();
            while (more)
            {
                if (count < 3)
                {
                    socket.Receive(ref frames[count]);
                    more = frames[count].HasMore;
                }
                else
                {
                    socket.Receive(ref extra);
                    more = extra.HasMore;
                }

                count++;
            }

            extra.Close();
            if (count != 3) throw new FrameException($"message of {count} frames; 3 expected (header, metadata, payload)");
            var header = BatchFrames.ReadHeader(frames[0].Slice());
            batch = BatchFrames.Decode(header, frames[1].Slice(), frames[2].SliceAsMemory(), copyPayload: true);
            payloadBytes = frames[2].Size;
            return true;
        }
        finally
        {
            for (var i = 0; i < Math.Min(count, 3); i++) frames[i].Close();
        }
    }
}

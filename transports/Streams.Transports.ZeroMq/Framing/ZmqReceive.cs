using NetMQ;
using Streams.Engine.Batches;

namespace Streams.Transports.ZeroMq.Framing;

/// <summary>Receives batch messages straight from NetMQ's pooled buffers (no per-message frame copies).</summary>
public static class ZmqReceive
{
    /// <summary>
    /// Waits up to <paramref name="timeout"/> for one message and decodes it as a batch. An Arrow payload is read in
    /// place (no copy): the batch keeps the message's pooled buffer and returns it when disposed. Returns false on
    /// timeout. A message that is not a batch is read to its end and reported as <see cref="FrameException"/>.
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
            payloadBytes = frames[2].Size;
            var payload = frames[2].SliceAsMemory();
            var lease = new MessageLease(frames[2]);
            frames[2].InitEmpty(); // the batch owns the payload's pooled buffer now
            batch = BatchFrames.Decode(header, frames[1].Slice(), payload, lease);
            return true;
        }
        finally
        {
            for (var i = 0; i < Math.Min(count, 3); i++) frames[i].Close();
        }
    }

    /// <summary>A received message kept for the columns read from it; disposing it hands its buffer back to NetMQ's pool.</summary>
    private sealed class MessageLease(Msg msg) : IDisposable
    {
        private Msg _msg = msg;
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0) _msg.Close();
        }
    }
}

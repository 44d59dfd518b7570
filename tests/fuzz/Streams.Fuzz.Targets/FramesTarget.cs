using Streams.Engine.Batches;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Fuzz.Targets;

/// <summary>
/// ZeroMQ batch frames: the input is the three frames of a batch message (header, metadata, payload; see
/// <see cref="FuzzSupport.Split"/>). They go through <see cref="BatchFrames.ReadHeader"/> and
/// <see cref="BatchFrames.Decode"/> as <see cref="ZmqReceive"/> calls them (an Arrow payload read in place, its memory
/// handed to the batch). Only <see cref="FrameException"/> may come out. A decoded batch must be usable: every raw
/// payload readable, an Arrow batch re-encodable and its rows takeable (what the next stage and the sinks do); the
/// payload memory is released exactly once, when the batch is disposed (or at once when decoding fails).
/// </summary>
public static class FramesTarget
{
    private sealed class Lease : IDisposable
    {
        public int Disposed;

        public void Dispose() => Disposed++;
    }

    public static void Run(ReadOnlySpan<byte> data)
    {
        var frames = FuzzSupport.Split(data, 3);
        while (frames.Count < 3) frames.Add([]);
        FuzzSupport.WithAllocationLimit((256L * data.Length) + (16 << 20), () => Decode(frames[0], frames[1], frames[2]));
    }

    private static void Decode(byte[] headerFrame, byte[] meta, byte[] payload)
    {
        BatchHeader header;
        try
        {
            header = BatchFrames.ReadHeader(headerFrame);
        }
        catch (FrameException)
        {
            return;
        }

        FuzzSupport.Check(header.Count >= 0, $"negative event count {header.Count}");
        var lease = new Lease();
        EventBatch batch;
        try
        {
            batch = BatchFrames.Decode(header, meta, payload, lease);
        }
        catch (FrameException)
        {
            FuzzSupport.Check(lease.Disposed == 1, $"payload memory released {lease.Disposed} times after a failed decode");
            return;
        }

        using (batch)
        {
            Use(header, batch, payload.Length);
            if (batch.HasBytes) FuzzSupport.Check(lease.Disposed == 1, $"payload memory of a raw-byte batch released {lease.Disposed} times");
        }

        FuzzSupport.Check(lease.Disposed == 1, $"payload memory released {lease.Disposed} times after the batch was disposed");
    }

    private static void Use(BatchHeader header, EventBatch batch, int payloadLength)
    {
        FuzzSupport.Check(batch.Count == header.Count, $"{batch.Count} events decoded for a header of {header.Count}");
        FuzzSupport.Check(batch.DataType == header.DataType, "data type changed in decoding");
        if (batch.HasBytes)
        {
            long total = 0;
            for (var i = 0; i < batch.Count; i++) total += batch.GetPayload(i).Length;
            FuzzSupport.Check(total == payloadLength, $"events hold {total} bytes of a {payloadLength}-byte payload");
            return;
        }

        var records = batch.Records!;
        FuzzSupport.Check(records.Length == batch.Count, $"{records.Length} Arrow rows for {batch.Count} events");
        try
        {
            // What a consumer does with a received Arrow batch: keep some rows (a filter) and send it on (re-encode).
            var rows = Enumerable.Range(0, records.Length).Where(i => i % 2 == 0).ToArray();
            using var taken = ArrowRows.Take(records, rows);
            var size = BatchFrames.MeasureArrow(records);
            FuzzSupport.Check(size > 0, "an Arrow batch that encodes to nothing");
        }
        catch (Exception e) when (e is not FuzzFindingException)
        {
            throw new FuzzFindingException($"a decoded Arrow batch ({records.ColumnCount} columns, {records.Length} rows) cannot be used: {e.GetType().Name}: {e.Message}", e);
        }
    }
}

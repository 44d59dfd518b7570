using System.Threading.Channels;
using Streams.Engine.Batches;

namespace Streams.Engine.Runtime;

/// <summary>
/// The bounded input queue of a stage (capacity in batches; writers wait when it is full: backpressure). It closes
/// when the last of its producers is done, so a stage drains everything its inputs sent before it stops.
/// </summary>
internal sealed class StageInput
{
    private int _producers;

    public StageInput(int capacity, int producers)
    {
        Capacity = capacity;
        _producers = producers;
        Channel = System.Threading.Channels.Channel.CreateBounded<EventBatch>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false, // a source may emit from several threads (a UDP receiver)
            AllowSynchronousContinuations = false,
        });
        if (producers == 0) Channel.Writer.TryComplete();
    }

    public Channel<EventBatch> Channel { get; }

    public int Capacity { get; }

    public int Depth => Channel.Reader.Count;

    public void ProducerDone()
    {
        if (Interlocked.Decrement(ref _producers) == 0) Channel.Writer.TryComplete();
    }
}

/// <summary>Where a node's output goes: one queue, or several (fan-out: each path gets its own copy).</summary>
internal sealed class Outlet(StageInput[] targets)
{
    public int Paths => targets.Length;

    /// <summary>Depth / capacity of the fullest target queue.</summary>
    public double Fill => targets.Length == 0 ? 0 : targets.Max(t => t.Depth / (double)t.Capacity);

    /// <summary>Writes the batch, waiting while a queue is full. Ownership passes to the queues.</summary>
    public async ValueTask WriteAsync(EventBatch batch)
    {
        if (targets.Length == 1)
        {
            var w = targets[0].Channel.Writer;
            if (!w.TryWrite(batch)) await WriteSlowAsync(w, batch).ConfigureAwait(false);
            return;
        }

        var copies = MakeCopies(batch);
        for (var i = 0; i < targets.Length; i++)
        {
            var w = targets[i].Channel.Writer;
            if (!w.TryWrite(copies[i])) await WriteSlowAsync(w, copies[i]).ConfigureAwait(false);
        }
    }

    /// <summary>Writes without waiting; a copy that finds its queue full is dropped. Returns how many paths took it.</summary>
    public int TryWrite(EventBatch batch)
    {
        if (targets.Length == 1)
        {
            if (targets[0].Channel.Writer.TryWrite(batch)) return 1;
            batch.Dispose();
            return 0;
        }

        var copies = MakeCopies(batch);
        var taken = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            if (targets[i].Channel.Writer.TryWrite(copies[i])) taken++;
            else copies[i].Dispose();
        }

        return taken;
    }

    public void Complete()
    {
        foreach (var t in targets) t.ProducerDone();
    }

    private EventBatch[] MakeCopies(EventBatch batch)
    {
        var copies = new EventBatch[targets.Length];
        copies[0] = batch;
        for (var i = 1; i < copies.Length; i++) copies[i] = batch.CloneForPath();
        return copies;
    }

    private static async ValueTask WriteSlowAsync(ChannelWriter<EventBatch> writer, EventBatch batch)
    {
        try
        {
            await writer.WriteAsync(batch).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Only reachable through an engine bug (a queue closed while a producer lives): the batch settles as
            // discarded, so the books still balance.
            System.Diagnostics.Debug.Fail("write to a closed stage queue");
            batch.Dispose();
        }
    }
}

using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// Stands in, in the coordinator's pipeline, for a stage that runs on workers: each slot encodes its batch, hands it to
/// the coordinator and awaits the answer, then rebuilds the output on the input's accounting (kept events) and reports
/// the events the worker failed. The books of the run therefore stay in this process.
/// </summary>
internal sealed class RemoteStage(Coordinator coordinator, StageDefinition definition) : IAsyncProcessor
{
    private System.Runtime.CompilerServices.StrongBox<RemoteStageState> _state = new(default);

    public StageDefinition Definition { get; } = definition;

    /// <summary>The stage's name as WORK's first frame.</summary>
    public byte[] StageFrame { get; } = System.Text.Encoding.UTF8.GetBytes(definition.Stage);

    /// <summary>This stage's dispatch: the worker processes serving it, their credit for it, its batches.</summary>
    public DispatchBook Book { get; } = new(definition.Stage);

    /// <summary>What serves the stage now, as last published by the socket thread (readable from any thread).</summary>
    public RemoteStageState State => Volatile.Read(ref _state).Value;

    /// <summary>Publishes the book's state (on the socket thread).</summary>
    internal void Publish()
    {
        var state = new RemoteStageState(Book.NotePeak(), Book.Workers.Count, Book.Pending, Book.PeakThreads);
        if (state != Volatile.Read(ref _state).Value) Volatile.Write(ref _state, new(state));
    }

    public void Configure(OperatorConfig config)
    {
    }

    public void Reset()
    {
    }

    public async ValueTask<EventBatch?> ProcessAsync(EventBatch input, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        if (input.Count == 0) return null;

        var batchId = coordinator.NextBatchId();
        WorkReply reply;
        // The item keeps the encoding for resends; once it is answered or failed nothing sends it, and it goes back.
        using (var encoded = BatchFrames.Encode(input, batchId))
        {
            var item = new WorkItem(batchId, Definition.Stage, input.Count, encoded);
            coordinator.Submit(item);
            reply = await item.Completion.Task.ConfigureAwait(false);
        }

        try
        {
            return Rebuild(input, context, reply);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A RESULT that does not add up: the batch's events fail with the reason (the stage counts them), and the
            // coordinator counts the message as malformed.
            var why = PeerLog.Clip(e.Message, 300);
            coordinator.ReportJunkResult($"RESULT for batch {batchId} from worker {reply.Worker}: {why}");
            throw new FrameException($"junk RESULT from worker {reply.Worker}: {why}");
        }
    }

    /// <summary>Turns a RESULT (header, meta, payload, kept, failures) into the output batch.</summary>
    internal static EventBatch? Rebuild(EventBatch input, ProcessContext context, WorkReply reply)
    {
        var result = WorkerProtocol.ReadResult(reply.Frames);
        var (header, kept, failures) = (result.Header, result.Kept, result.Failures);
        // Everything is checked before anything is taken: a RESULT that does not add up fails the whole batch once.
        var failed = new HashSet<int>();
        foreach (var failure in failures)
        {
            if (failure is null || (uint)failure.Index >= (uint)input.Count) throw new FrameException($"worker {reply.Worker} failed event {failure?.Index} of a {input.Count}-event batch");
            failed.Add(failure.Index);
        }

        if (kept.Length != header.Count) throw new FrameException($"worker {reply.Worker} returned {header.Count} events but {kept.Length} input indices");
        foreach (var k in kept)
        {
            if ((uint)k >= (uint)input.Count) throw new FrameException($"worker {reply.Worker} kept event {k} of a {input.Count}-event batch");
            if (failed.Contains(k)) throw new FrameException($"worker {reply.Worker} both failed and kept event {k}");
        }

        foreach (var failure in failures)
        {
            var severity = failure.Severity is Severity.Error or Severity.Fatal ? failure.Severity : Severity.Error;
            context.Fail(failure.Index, $"{PeerLog.Clip(failure.Message, 500)} (on worker {reply.Worker})", severity);
        }

        if (header.Count == 0) return null;
        if (header.Kind == PayloadKind.Arrow)
        {
            var records = BatchFrames.DecodeArrow(result.Payload);
            if (records.Length != kept.Length)
            {
                records.Dispose();
                throw new FrameException($"worker {reply.Worker} returned {records.Length} rows for {kept.Length} events");
            }

            return EventBatch.FromRecords(input, kept, header.DataType, records);
        }

        var (meta, payload) = (result.Meta, result.Payload);
        if (meta.Length != kept.Length * BatchFrames.MetaEntrySize) throw new FrameException($"worker {reply.Worker} sent a {meta.Length}-byte metadata frame for {kept.Length} events");
        using var builder = new EventBatchBuilder(kept.Length, payload.Length);
        var at = 0;
        for (var i = 0; i < kept.Length; i++)
        {
            var len = (int)Math.Min(BatchFrames.EventLength(meta, i), int.MaxValue);
            if (len < 0 || len > payload.Length - at) throw new FrameException($"worker {reply.Worker} sent event lengths beyond its payload");
            builder.AddFrom(input, kept[i], payload.AsSpan(at, len));
            at += len;
        }

        return builder.Build(header.DataType);
    }

    public void Dispose()
    {
    }
}

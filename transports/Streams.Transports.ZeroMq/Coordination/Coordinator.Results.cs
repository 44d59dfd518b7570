using NetMQ;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// The coordinator's side of answers and of peers' garbage: RESULTs taken, suppressed as duplicates, failed when
/// unusable, workers expelled when they break the protocol, and malformed messages counted and logged within limits.
/// </summary>
public sealed partial class Coordinator
{
    private void OnResult(string key, RemoteWorker? worker, NetMQMessage msg)
    {
        var who = worker?.Name ?? "an unknown peer";
        BatchHeader header;
        try
        {
            header = WorkerProtocol.ReadResultHeader(msg, at: 1);
        }
        catch (FrameException e)
        {
            // The answer names no batch: the worker holds batches it will not answer readably; it goes and they go elsewhere.
            Malformed("RESULT (no batch header)", $"RESULT from {who} without a readable batch header dropped: {PeerLog.Clip(e.Message, 200)}");
            if (worker is not null) Expel(worker, "a RESULT without a readable batch header");
            return;
        }

        // Batch ids are unique across stages: the stage whose book knows the batch takes the answer.
        DispatchBook? book = null;
        foreach (var stage in _stageList)
        {
            if (stage.Book.Knows(header.BatchId)) book = stage.Book;
        }

        if (book is null)
        {
            Malformed("RESULT (batch not sent there)", $"answer for batch {header.BatchId} from {who} not taken: that batch was not sent there");
            if (worker is not null) Expel(worker, $"an answer for batch {header.BatchId}, which it was not sent");
            Pump();
            return;
        }

        var (duplicatesBefore, duplicateEventsBefore, rejectedBefore) = (book.DuplicateBatches, book.DuplicateEvents, book.Rejected);
        var held = book.Find(key)?.InFlight.GetValueOrDefault(header.BatchId);
        var item = book.Complete(key, header.BatchId, header.Count);
        if (worker is not null && held is not null)
        {
            // Counted before the batch's slot learns of it, so that a summary taken when the run ends includes it.
            worker.BatchesAcked++;
            worker.EventsDone += held.Events;
            Report(worker);
        }

        if (item is not null)
        {
            var body = WorkerProtocol.ResultBody(msg, at: 1);
            if (body is null)
            {
                // Named but unusable: its events fail (counted, with the reason) rather than wait for an answer that never comes right.
                Malformed("RESULT (frames)", $"RESULT for batch {header.BatchId} from {who} of {msg.FrameCount - 1} frames (6 expected): its {item.Events} event(s) fail");
                item.Completion.TrySetException(new FrameException($"worker {who} answered with a RESULT of {msg.FrameCount - 1} frames (6 expected)"));
            }
            else
            {
                item.Completion.TrySetResult(new WorkReply(body, worker?.Name ?? key));
            }
        }
        else if (book.DuplicateBatches > duplicatesBefore)
        {
            _metrics.Duplicates.Inc(book.DuplicateEvents - duplicateEventsBefore);
            _peers.Report("duplicate answer", $"batch {header.BatchId} answered again by {worker?.Name ?? "a departed worker"}: duplicate of {book.DuplicateEvents - duplicateEventsBefore} event(s) suppressed", RunLogLevel.Info);
        }
        else if (book.Rejected > rejectedBefore)
        {
            Malformed("RESULT (batch not sent there)", $"answer for batch {header.BatchId} from {who} not taken: that batch was not sent there");
            // A worker of this connection answers only what it was sent (a worker drops answers from before a reconnect).
            if (worker is not null) Expel(worker, $"an answer for batch {header.BatchId}, which it was not sent");
        }

        if (worker is { Present: true }) _metrics.Acked(worker.Name).Inc(); // every answer of a worker still here, duplicates too
        Pump();
    }

    /// <summary>
    /// A worker that breaks the protocol goes: REJECT (a Streams worker exits), its batches to other workers as for a
    /// death (each at most <see cref="DispatchBook.MaxResends"/> times, then failed).
    /// </summary>
    private void Expel(RemoteWorker worker, string why)
    {
        Send(worker.Key, Protocol.Reject, $"protocol violation: {why}");
        var requeued = Remove(worker, WorkerPhase.Expelled);
        _peers.Report("expelled", $"worker {worker.Name} expelled for {why}; {requeued} unanswered batch(es) sent to other workers", RunLogLevel.Warning);
        AfterRemoval();
    }

    /// <summary>Counts a malformed message (summary, metric) and logs it within the limits.</summary>
    private void Malformed(string reason, string message)
    {
        _peers.ReportMalformed(reason, message);
        _metrics.Malformed.Inc();
        Volatile.Write(ref _malformedByReason, _peers.MalformedByReason);
        Interlocked.Exchange(ref _malformed, _peers.Malformed);
    }

    /// <summary>A RESULT whose content did not add up (found by the stage slot that rebuilt it): counted like any malformed message.</summary>
    internal void ReportJunkResult(string message) => _actions.Enqueue(() => Malformed("RESULT (content)", PeerLog.Clip(message, 300)));
}

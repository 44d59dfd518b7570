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
    private void OnResult(string key, WorkerEntry? worker, NetMQMessage msg)
    {
        var who = worker?.Name ?? "an unknown peer";
        BatchHeader header;
        try
        {
            header = msg.FrameCount > 2 ? BatchFrames.ReadHeader(msg[2].Buffer) : throw new FrameException($"RESULT of {msg.FrameCount - 1} frames");
        }
        catch (FrameException e)
        {
            // The answer names no batch: the worker holds batches it will not answer readably; it goes and they go elsewhere.
            Malformed("RESULT (no batch header)", $"RESULT from {who} without a readable batch header dropped: {PeerLog.Clip(e.Message, 200)}");
            if (worker is not null) Expel(worker, "a RESULT without a readable batch header");
            return;
        }

        var (duplicatesBefore, duplicateEventsBefore, rejectedBefore) = (_book.DuplicateBatches, _book.DuplicateEvents, _book.Rejected);
        var item = _book.Complete(key, header.BatchId, header.Count);
        if (item is not null)
        {
            if (msg.FrameCount != 7)
            {
                // Named but unusable: its events fail (counted, with the reason) rather than wait for an answer that never comes right.
                Malformed("RESULT (frames)", $"RESULT for batch {header.BatchId} from {who} of {msg.FrameCount - 1} frames (6 expected): its {item.Events} event(s) fail");
                item.Completion.TrySetException(new FrameException($"worker {who} answered with a RESULT of {msg.FrameCount - 1} frames (6 expected)"));
            }
            else
            {
                var frames = new byte[5][];
                for (var i = 0; i < 5; i++) frames[i] = msg[i + 2].Buffer;
                item.Completion.TrySetResult(new WorkReply(frames, worker?.Name ?? key));
            }
        }
        else if (_book.DuplicateBatches > duplicatesBefore)
        {
            _metrics.Duplicates.Inc(_book.DuplicateEvents - duplicateEventsBefore);
            _peers.Report("duplicate answer", $"batch {header.BatchId} answered again by {worker?.Name ?? "a departed worker"}: duplicate of {_book.DuplicateEvents - duplicateEventsBefore} event(s) suppressed", RunLogLevel.Info);
        }
        else if (_book.Rejected > rejectedBefore)
        {
            Malformed("RESULT (batch not sent there)", $"answer for batch {header.BatchId} from {who} not taken: that batch was not sent there");
            // A worker of this connection answers only what it was sent (a worker drops answers from before a reconnect).
            if (worker is not null) Expel(worker, $"an answer for batch {header.BatchId}, which it was not sent");
        }

        if (worker is not null && _book.Find(key) is not null)
        {
            _metrics.Acked(worker.Name).Inc();
            Report(worker, "running");
        }

        Pump();
    }

    /// <summary>
    /// A worker that breaks the protocol goes: REJECT (a Streams worker exits), its batches to other workers as for a
    /// death (each at most <see cref="DispatchBook.MaxResends"/> times, then failed).
    /// </summary>
    private void Expel(WorkerEntry worker, string why)
    {
        Send(worker.Key, Protocol.Reject, $"protocol violation: {why}");
        var requeued = _book.Remove(worker, died: true);
        Report(worker, "expelled");
        _peers.Report("expelled", $"worker {worker.Name} expelled for {why}; {requeued} unanswered batch(es) sent to other workers", RunLogLevel.Warning);
        AfterRemoval();
    }

    /// <summary>Counts a malformed message (summary, metric) and logs it within the limits.</summary>
    private void Malformed(string reason, string message)
    {
        _peers.ReportMalformed(reason, message);
        _metrics.Malformed.Inc();
    }

    /// <summary>A RESULT whose content did not add up (found by the stage slot that rebuilt it): counted like any malformed message.</summary>
    internal void ReportJunkResult(string message) => _actions.Enqueue(() => Malformed("RESULT (content)", PeerLog.Clip(message, 300)));
}

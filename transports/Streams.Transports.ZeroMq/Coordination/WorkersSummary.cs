namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>One worker in the summary.</summary>
public sealed record WorkerReport(string Name, string State, long BatchesSent, long BatchesAcked, long Events, long HeartbeatsMissed, double Seconds);

/// <summary>
/// The summary's <c>"workers"</c> section. <paramref name="Died"/> counts workers declared dead (silent, connection
/// dropped) or expelled for breaking the protocol; <paramref name="MalformedMessages"/> counts what peers sent that did
/// not follow the protocol (by reason in <paramref name="MalformedByReason"/>), RESULTs whose content did not add up included.
/// </summary>
public sealed record WorkersSummary(
    long Joined, long Left, long Died, long BatchesResent, long DuplicatesSuppressed, long DuplicateBatches, long Refused,
    long MalformedMessages, IReadOnlyDictionary<string, long> MalformedByReason, IReadOnlyList<WorkerReport> Workers)
{
    /// <summary>Each stage on workers apart: its threads, worker processes and batches.</summary>
    public IReadOnlyList<StageDispatchReport> Stages { get; init; } = [];

    /// <summary>Changes of a worker process's state that the coordinator's state machine refused (0 in a sound run).</summary>
    public long InvalidTransitions { get; init; }
}

/// <summary>
/// One stage on workers in the summary: the threads serving it now and at most, the worker processes serving it, and
/// its batches sent (resends included), answered, and sent again after a worker process was lost.
/// </summary>
public sealed record StageDispatchReport(string Stage, int Threads, int PeakThreads, int Workers, long BatchesSent, long BatchesAnswered, long BatchesResent);

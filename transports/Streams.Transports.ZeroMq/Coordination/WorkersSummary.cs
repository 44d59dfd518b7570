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
    long MalformedMessages, IReadOnlyDictionary<string, long> MalformedByReason, IReadOnlyList<WorkerReport> Workers);

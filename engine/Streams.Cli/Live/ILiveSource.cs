using Streams.Engine.Runtime;
using Streams.Engine.Spec;

namespace Streams.Cli.Live;

/// <summary>
/// What the live web view (<c>http://HOST:PORT/</c> and <c>/api/snapshot</c> on the metrics endpoint) shows of a
/// run: the plan, its latest snapshot, the controller's decisions and the worker processes. The command that runs the
/// pipeline fills one (<see cref="LiveRun"/>); every member may be read from any thread at any time.
/// </summary>
internal interface ILiveSource
{
    /// <summary>The plan: its nodes (sources, stages, sinks) and the data flow between them.</summary>
    PipelinePlan Plan { get; }

    /// <summary>The most recent snapshot, or null before the first one.</summary>
    PipelineSnapshot? Latest { get; }

    /// <summary>Why intake stopped (the run drains, then ends), or null while it takes events.</summary>
    string? StopReason { get; }

    /// <summary>The controller's latest decisions and notes, oldest first (a bounded window).</summary>
    IReadOnlyList<LiveDecision> Decisions { get; }

    /// <summary>The worker processes serving stages on workers, or null when the run has none.</summary>
    LiveWorkers? Workers { get; }
}

/// <summary>
/// One line of the controller: when, how serious, and what it said; for a change of a stage's workers also the stage,
/// the workers before and after, the law and its reason.
/// </summary>
internal sealed record LiveDecision(string Time, string Level, string Message)
{
    public string? Stage { get; init; }

    public int? From { get; init; }

    public int? To { get; init; }

    public string? Law { get; init; }

    public string? Reason { get; init; }
}

/// <summary>One worker process as the coordinator sees it.</summary>
internal sealed record LiveWorker(string Name, string State, long Events, long BatchesSent, long BatchesAcked, long HeartbeatsMissed, double Seconds);

/// <summary>The worker processes of a run and their totals.</summary>
internal sealed record LiveWorkers(long Joined, long Left, long Died, IReadOnlyList<LiveWorker> List);

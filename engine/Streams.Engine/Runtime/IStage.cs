using Streams.Engine.Operators;

namespace Streams.Engine.Runtime;

/// <summary>
/// A running node of a pipeline as the outside (the live display, the controller) sees it: its counters, its queue,
/// and its worker pool, which may be resized while the pipeline runs.
/// </summary>
public interface IStage
{
    string Name { get; }

    OperatorKind Kind { get; }

    StageStats Stats { get; }

    /// <summary>Batches waiting in the input queue (0 for sources).</summary>
    int QueueDepth { get; }

    /// <summary>Capacity of the input queue in batches (0 for sources).</summary>
    int QueueCapacity { get; }

    /// <summary>Workers serving the stage now.</summary>
    int Workers { get; }

    /// <summary>Most workers the stage may have.</summary>
    int MaxWorkers { get; }

    /// <summary>Most workers the stage had at once during the run.</summary>
    int PeakWorkers { get; }

    /// <summary>
    /// Asks for <paramref name="workers"/> workers (clamped to 1..<see cref="MaxWorkers"/>). New workers start at once;
    /// surplus workers finish the batch in hand and stop. Returns the target now in force.
    /// </summary>
    int SetWorkers(int workers);
}

using Streams.Engine.Operators;

namespace Streams.Engine.Runtime;

/// <summary>
/// A running node of a pipeline as the outside (the live display, the controller) sees it: its counters, its queue,
/// and its pool of threads, which may be resized while the pipeline runs (for a stage on worker processes: the threads
/// of those processes).
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

    /// <summary>Threads serving the stage now.</summary>
    int Threads { get; }

    /// <summary>Most threads the stage may have.</summary>
    int MaxThreads { get; }

    /// <summary>Most threads the stage had at once during the run.</summary>
    int PeakThreads { get; }

    /// <summary>
    /// Asks for <paramref name="threads"/> threads (clamped to 1..<see cref="MaxThreads"/>). New threads start at once;
    /// surplus threads finish the batch in hand and stop. Returns the target now in force. A stage on worker processes
    /// cannot add their threads from here: it changes nothing and returns the threads serving it (a node provider adds
    /// worker processes).
    /// </summary>
    int SetThreads(int threads);
}

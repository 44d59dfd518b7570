using System.Collections.Concurrent;
using Streams.Engine.Runtime;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// What the coordinator publishes for other threads: each stage's <see cref="RemoteStageState"/>, the worker processes
/// serving the run (<see cref="HasWorker"/>), the Prometheus gauges, and the summary's <c>"workers"</c> section. The
/// socket thread writes it as things change; readers never wait for the socket thread.
/// </summary>
public sealed partial class Coordinator
{
    private readonly ConcurrentDictionary<string, WorkerReport> _seen = new(StringComparer.Ordinal); // every worker seen, by key
    private IReadOnlySet<string> _serving = new HashSet<string>(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, long> _malformedByReason = new Dictionary<string, long>(StringComparer.Ordinal);
    private long _malformed;
    private long _rejected;
    private int _workersAlive;

    public bool HasWorker(string workerName) => Volatile.Read(ref _serving).Contains(workerName);

    /// <summary>
    /// The summary's <c>"workers"</c> section as it stands: built from what the socket thread has published, so it
    /// never waits for that thread (call it from any thread, during or after the run).
    /// </summary>
    public WorkersSummary Summary() => new(
        _roster.Joined, _roster.Left, _roster.Died,
        _stageList.Sum(s => s.Book.BatchesResent), _stageList.Sum(s => s.Book.DuplicateEvents), _stageList.Sum(s => s.Book.DuplicateBatches),
        Interlocked.Read(ref _rejected), Interlocked.Read(ref _malformed), Volatile.Read(ref _malformedByReason),
        [.. _seen.Values.OrderBy(w => w.Name, StringComparer.Ordinal)])
    {
        Stages = [.. _stageList.Select(s => new StageDispatchReport(s.Book.Stage, s.State.Threads, s.State.PeakThreads, s.State.Workers, s.Book.BatchesSent, s.Book.BatchesAnswered, s.Book.BatchesResent))],
        InvalidTransitions = _roster.InvalidTransitions,
    };

    /// <summary>Refreshes the summary's line for <paramref name="w"/> (its scrape target goes when it is gone).</summary>
    private void Report(RemoteWorker w)
    {
        if (!w.Present) _options.ScrapeTargets?.RemoveWorker(w.Name);
        var state = w.Phase switch
        {
            WorkerPhase.Joined or WorkerPhase.Leaving => "running",
            WorkerPhase.Left => "left",
            WorkerPhase.Dead => "dead",
            WorkerPhase.Expelled => "expelled",
            _ => "finished",
        };
        _seen[w.Key] = new WorkerReport(w.Name, state, w.BatchesSent, w.BatchesAcked, w.EventsDone, w.HeartbeatsMissed, Math.Round(Now - w.JoinedAt, 1));
    }

    /// <summary>Brings every worker's summary line up to date (heartbeats missed, seconds).</summary>
    private void PublishSummary()
    {
        foreach (var w in _roster.Present) Report(w);
    }

    /// <summary>Publishes each stage's state, the worker processes serving the run, and the gauges (on the socket thread).</summary>
    private void Publish()
    {
        Volatile.Write(ref _workersAlive, _roster.Count);
        var serving = Volatile.Read(ref _serving);
        if (serving.Count != _roster.Count || _roster.Present.Any(w => !serving.Contains(w.Name)))
        {
            Volatile.Write(ref _serving, _roster.Present.Select(w => w.Name).ToHashSet(StringComparer.Ordinal));
        }

        var waiting = 0;
        foreach (var stage in _stageList)
        {
            stage.Publish();
            waiting += stage.Book.Pending;
        }

        _metrics.Alive.Set(_roster.Count);
        _metrics.Waiting.Set(waiting);
        foreach (var w in _roster.Present) _metrics.InFlight(w.Name).Set(HeldBy(w));
        _metrics.Joined.IncTo(_roster.Joined);
        _metrics.Left.IncTo(_roster.Left);
        _metrics.Died.IncTo(_roster.Died);
    }
}

using System.Collections.Concurrent;
using Streams.Engine.Operators;

namespace Streams.Engine.Runtime;

/// <summary>One kind of failure seen in a run: stage, severity, message and how many events it hit.</summary>
public sealed record FailureRecord(string Stage, Severity Severity, string Message, long Count);

/// <summary>
/// Collects event failures by (stage, message): the first few of each stage are logged in full, the rest are counted,
/// so a stream of bad events cannot flood the log. Distinct messages per stage are capped.
/// </summary>
internal sealed class ErrorBook(RunLog log) : IFailureBook
{
    private const int LoggedPerStage = 5;
    private const int DistinctPerStage = 64; // beyond this, messages are pooled under "(other failures)"

    private readonly ConcurrentDictionary<(string Stage, string Message), Entry> _entries = new();
    private readonly ConcurrentDictionary<string, int> _perStage = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _distinct = new(StringComparer.Ordinal);

    public void Report(string stage, Severity severity, string message, int events, long eventNumber)
    {
        var logged = _perStage.AddOrUpdate(stage, 1, (_, n) => n + 1);
        if (logged <= LoggedPerStage)
        {
            log.Write(severity >= Severity.Error ? RunLogLevel.Warning : RunLogLevel.Info, stage, $"event {eventNumber} failed ({severity}): {message}");
            if (logged == LoggedPerStage) log.Warn(stage, "further failures of this stage are counted, not logged; see the run summary");
        }

        var key = (stage, message);
        if (!_entries.TryGetValue(key, out var entry))
        {
            if (_distinct.GetValueOrDefault(stage) >= DistinctPerStage) key = (stage, "(other failures)");
            entry = _entries.GetOrAdd(key, _ =>
            {
                _distinct.AddOrUpdate(stage, 1, (_, n) => n + 1);
                return new Entry(severity);
            });
        }

        Interlocked.Add(ref entry.Count, events);
    }

    public IReadOnlyList<FailureRecord> Snapshot() =>
        _entries.Select(kv => new FailureRecord(kv.Key.Stage, kv.Value.Severity, kv.Key.Message, Volatile.Read(ref kv.Value.Count)))
            .OrderByDescending(r => r.Count).ToList();

    private sealed class Entry(Severity severity)
    {
        public long Count;

        public Severity Severity { get; } = severity;
    }
}

using System.Collections.Concurrent;

namespace Streams.Engine.Runtime;

/// <summary>A stage's output that could not be written: the message, how often it happened and the events it cost.</summary>
public sealed record OutputFailure(string Stage, string Message, long Occurrences, long Events);

/// <summary>A source that could not start or failed while running.</summary>
public sealed record SourceFailure(string Stage, string Message);

/// <summary>
/// What went wrong in a run beyond single events, the facts the exit status is decided from (<see cref="RunVerdict"/>):
/// a fatal failure (kept even when it arrives after intake stopped for another reason), sources that failed, and
/// outputs that could not be written (a sink that threw, a flush or close that failed).
/// </summary>
internal sealed class RunFaults
{
    private readonly ConcurrentDictionary<(string Stage, string Message), Counts> _outputs = new();
    private readonly ConcurrentQueue<SourceFailure> _sources = new();
    private string? _fatal;

    /// <summary>The first fatal failure (<c>fatal failure in 'STAGE': MESSAGE</c>), or null.</summary>
    public string? Fatal => Volatile.Read(ref _fatal);

    public IReadOnlyList<SourceFailure> Sources => [.. _sources];

    /// <summary>Output failures, most events lost first.</summary>
    public IReadOnlyList<OutputFailure> Outputs =>
        [.. _outputs.Select(kv => new OutputFailure(kv.Key.Stage, kv.Key.Message, Volatile.Read(ref kv.Value.Occurrences), Volatile.Read(ref kv.Value.Events)))
            .OrderByDescending(o => o.Events).ThenBy(o => o.Stage, StringComparer.Ordinal)];

    /// <summary>Records the first fatal failure; returns true when this one was the first.</summary>
    public bool SetFatal(string stage, string message) =>
        Interlocked.CompareExchange(ref _fatal, $"fatal failure in '{stage}': {message}", null) is null;

    public void Source(string stage, string message) => _sources.Enqueue(new SourceFailure(stage, message));

    /// <summary>Counts one failed write (or flush, or close) of <paramref name="stage"/> that cost <paramref name="events"/> events.</summary>
    public void Output(string stage, string message, long events)
    {
        var c = _outputs.GetOrAdd((stage, Truncate(message)), _ => new Counts());
        Interlocked.Increment(ref c.Occurrences);
        Interlocked.Add(ref c.Events, events);
    }

    private static string Truncate(string message) => message.Length <= 300 ? message : string.Concat(message.AsSpan(0, 300), "...");

    private sealed class Counts
    {
        public long Occurrences;
        public long Events;
    }
}

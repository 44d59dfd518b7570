using System.Buffers;
using Streams.Engine.Batches;

namespace Streams.Engine.Operators;

/// <summary>
/// Handed to a processor or sink with each batch: it reports per-event failures (counted, logged, and the event
/// removed from the batch) and tells the operator where it runs. One per worker, reused for every batch.
/// </summary>
public sealed class ProcessContext
{
    private readonly IFailureBook _errors;
    private readonly Action<string, string> _fatal;
    private bool[] _failed = [];
    private EventBatch? _batch;

    internal ProcessContext(string stageName, int workerId, RunLog log, IFailureBook errors, Action<string, string> fatal)
    {
        StageName = stageName;
        WorkerId = workerId;
        Log = log;
        _errors = errors;
        _fatal = fatal;
    }

    public string StageName { get; }

    /// <summary>Index of the worker running this operator instance (0-based, unique within the stage).</summary>
    public int WorkerId { get; }

    public RunLog Log { get; }

    internal Action<string, Func<object>>? SummarySections { get; init; }

    /// <summary>Told of every failed event (index in the current batch, message, severity); used by the engine's operator host.</summary>
    internal Action<int, string, Severity>? FailureObserver { get; init; }

    /// <summary>
    /// Adds a top-level section to the run summary, produced when the run ends, after sinks
    /// have been flushed (a validation sink reports its physics figures this way). The first registration of a key wins.
    /// </summary>
    public void AddSummarySection(string key, Func<object> produce) => SummarySections?.Invoke(key, produce);

    /// <summary>Events of the current batch failed so far.</summary>
    public int FailedCount { get; private set; }

    internal ReadOnlySpan<bool> FailedMask => _failed.AsSpan(0, _batch?.Count ?? 0);

    /// <summary>
    /// Fails event <paramref name="index"/> of the current input batch: it is counted, its message recorded, and it
    /// goes no further. <see cref="Severity.Fatal"/> also stops the run's intake (the pipeline then drains).
    /// </summary>
    public void Fail(int index, string message, Severity severity = Severity.Error)
    {
        var batch = _batch ?? throw new InvalidOperationException("Fail called outside Process/Write");
        if ((uint)index >= (uint)batch.Count) throw new ArgumentOutOfRangeException(nameof(index));
        if (severity < Severity.Error) throw new ArgumentOutOfRangeException(nameof(severity), "use Warn for info and warnings; Fail is for Error or Fatal");
        if (_failed[index]) return;
        _failed[index] = true;
        FailedCount++;
        batch.MarkFailed(index);
        FailureObserver?.Invoke(index, message, severity);
        _errors.Report(StageName, severity, message, 1, (long)batch.Meta[index].EventNumber);
        if (severity == Severity.Fatal) _fatal(StageName, message);
    }

    /// <summary>Records an info or warning about event <paramref name="index"/> without failing it.</summary>
    public void Warn(int index, string message)
    {
        var batch = _batch ?? throw new InvalidOperationException("Warn called outside Process/Write");
        _errors.Report(StageName, Severity.Warning, message, 1, (long)batch.Meta[index].EventNumber);
    }

    internal void Begin(EventBatch batch)
    {
        _batch = batch;
        FailedCount = 0;
        if (_failed.Length < batch.Count)
        {
            if (_failed.Length > 0) ArrayPool<bool>.Shared.Return(_failed);
            _failed = ArrayPool<bool>.Shared.Rent(batch.Count);
        }

        Array.Clear(_failed, 0, batch.Count);
    }

    /// <summary>Fails every event of the batch not failed yet (the operator threw).</summary>
    internal void FailRemaining(string message)
    {
        var batch = _batch!;
        var n = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (_failed[i]) continue;
            _failed[i] = true;
            batch.MarkFailed(i);
            FailureObserver?.Invoke(i, message, Severity.Error);
            n++;
        }

        FailedCount += n;
        if (n > 0) _errors.Report(StageName, Severity.Error, message, n, batch.Count > 0 ? (long)batch.Meta[0].EventNumber : -1);
    }

    internal void End() => _batch = null;
}

/// <summary>Where a <see cref="ProcessContext"/> records failed events (the engine's error book).</summary>
internal interface IFailureBook
{
    /// <summary>Records <paramref name="events"/> events of <paramref name="stage"/> that failed with <paramref name="message"/>.</summary>
    void Report(string stage, Severity severity, string message, int events, long eventNumber);
}

using Streams.Engine.Accounting;
using Streams.Engine.Batches;

namespace Streams.Engine.Runtime;

/// <summary>
/// Handed to a source: it grants event budget, emits batches into the pipeline (each event is accounted for from that
/// moment), and counts events a source had to discard before they could enter.
/// </summary>
public sealed class SourceContext
{
    private readonly Outlet _outlet;
    private readonly EventBudget _budget;
    private readonly RunAccounts _accounts;
    private readonly StageStats _stats;

    private readonly RunShared? _run;

    internal SourceContext(string stageName, RunLog log, Outlet outlet, EventBudget budget, RunAccounts accounts, StageStats stats, RunShared? run = null)
    {
        _run = run;
        StageName = stageName;
        Log = log;
        _outlet = outlet;
        _budget = budget;
        _accounts = accounts;
        _stats = stats;
    }

    public string StageName { get; }

    public RunLog Log { get; }

    /// <summary>True once intake has stopped (duration reached, Ctrl+C, SIGTERM, a fatal failure) or the event budget is spent.</summary>
    public bool IntakeStopped => _budget.Stopped || _budget.Exhausted;

    /// <summary>
    /// Asks to emit up to <paramref name="wanted"/> more events; returns how many may be emitted (0: stop, the run's
    /// <c>--events</c> budget is spent or intake has stopped).
    /// </summary>
    public int TryReserve(int wanted) => _budget.TryReserve(wanted);

    /// <summary>Emits a batch built by the source, waiting while the next queue is full (backpressure).</summary>
    public ValueTask EmitAsync(EventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.AttachNewLedger(_accounts);
        _stats.RecordSourceBatch(batch.Count, 0);
        return _outlet.WriteAsync(batch);
    }

    /// <summary>
    /// Emits without waiting (for sources that cannot block, such as a UDP socket). When the next queue is full the
    /// batch is discarded and counted; returns false then.
    /// </summary>
    public bool TryEmit(EventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var n = batch.Count;
        batch.AttachNewLedger(_accounts);
        var taken = _outlet.TryWrite(batch);
        _stats.RecordSourceBatch(taken > 0 ? n : 0, taken > 0 ? 0 : n);
        return taken == _outlet.Paths;
    }

    /// <summary>
    /// Prometheus metric factory of this run, with the <c>pipeline</c> and <c>stage</c> labels already applied, for
    /// source-specific families (name them <c>streams_&lt;source&gt;_...</c>).
    /// </summary>
    public Prometheus.IMetricFactory Metrics => (_run is null ? Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()) : Prometheus.Metrics.WithCustomRegistry(_run.Registry))
        .WithLabels(new Dictionary<string, string> { ["pipeline"] = _run?.Pipeline ?? "", ["stage"] = StageName });

    /// <summary>
    /// Adds a top-level section to the run summary (<c>--summary-json</c>), produced when the run ends. Several
    /// sources contributing the same key share it, so <paramref name="produce"/> should report them all.
    /// </summary>
    public void AddSummarySection(string key, Func<object> produce) => _run?.SummarySections.TryAdd(key, produce);

    /// <summary>How full the fullest queue this source feeds is, 0..1 (the receiver's feedback signal).</summary>
    public double OutputFill => _outlet.Fill;

    /// <summary>Counts events the source received but had to drop before building a batch (for example on overload).</summary>
    public void Discard(int events)
    {
        if (events <= 0) return;
        _accounts.AddReceivedAndDiscarded(events);
        _stats.RecordSourceBatch(0, events);
    }
}

using Streams.Engine.Accounting;
using Streams.Engine.Batches;
using Streams.Engine.Operators;

namespace Streams.Engine.Runtime;

/// <summary>
/// What a <see cref="SourceContext"/> reaches in a run: the source's event budget, the queues it feeds, the run's books
/// and the stage's statistics.
/// </summary>
internal sealed class SourceHost(string stageName, Outlet outlet, EventBudget budget, RunAccounts accounts, StageStats stats, RunShared? run = null) : ISourceHost
{
    public bool IntakeStopped => budget.Stopped || budget.Exhausted;

    public double OutputFill => outlet.Fill;

    public TimeProvider Time => run?.Time ?? TimeProvider.System;

    public Prometheus.IMetricFactory Metrics => (run is null ? Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()) : Prometheus.Metrics.WithCustomRegistry(run.Registry))
        .WithLabels(new Dictionary<string, string> { ["pipeline"] = run?.Pipeline ?? "", ["stage"] = stageName });

    public IOperatorMetrics OperatorMetrics => new Streams.Engine.Metrics.PrometheusOperatorMetrics(Metrics);

    public int TryReserve(int wanted) => budget.TryReserve(wanted);

    public int TryReserveDraining(int wanted) => budget.TryReserve(wanted, draining: true);

    public ValueTask EmitAsync(EventBatch batch)
    {
        batch.AttachNewLedger(accounts);
        stats.RecordSourceBatch(batch.Count, 0);
        return outlet.WriteAsync(batch);
    }

    public bool TryEmit(EventBatch batch)
    {
        var n = batch.Count;
        batch.AttachNewLedger(accounts);
        var taken = outlet.TryWrite(batch);
        stats.RecordSourceBatch(taken > 0 ? n : 0, taken > 0 ? 0 : n);
        return taken == outlet.Paths;
    }

    public void Discard(int events)
    {
        accounts.AddReceivedAndDiscarded(events);
        stats.RecordSourceBatch(0, events);
    }

    public void AddSummarySection(string key, Func<object> produce) => run?.SummarySections.TryAdd(key, produce);
}

using Streams.Engine.Accounting;
using Streams.Engine.Metrics;

namespace Streams.Engine.Runtime;

/// <summary>What every runner of one pipeline run shares: the log, the books, the failure records, the metrics.</summary>
internal sealed class RunShared(string pipeline, RunLog log, RunAccounts accounts, ErrorBook errors, StageMetrics metrics, EventBudget budget, Action<string, string> fatal, Prometheus.CollectorRegistry registry)
{
    public Prometheus.CollectorRegistry Registry { get; } = registry;

    /// <summary>Extra top-level sections of the run summary contributed by operators (for example "ejfat").</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, Func<object>> SummarySections { get; } = new(StringComparer.Ordinal);

    public string Pipeline { get; } = pipeline;

    public RunLog Log { get; } = log;

    public RunAccounts Accounts { get; } = accounts;

    public ErrorBook Errors { get; } = errors;

    public StageMetrics Metrics { get; } = metrics;

    public EventBudget Budget { get; } = budget;

    /// <summary>Stops intake because of a fatal failure: (stage, message).</summary>
    public Action<string, string> Fatal { get; } = fatal;
}

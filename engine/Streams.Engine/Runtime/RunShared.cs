using Streams.Engine.Accounting;
using Streams.Engine.Metrics;
using Streams.Engine.Operators;

namespace Streams.Engine.Runtime;

/// <summary>What every runner of one pipeline run shares: the log, the books, the failure records, the metrics.</summary>
internal sealed class RunShared(string pipeline, RunLog log, RunAccounts accounts, ErrorBook errors, StageMetrics metrics, long eventLimit, IntakeSwitch intake, RunFaults faults, Action<string, string> fatal, Prometheus.CollectorRegistry registry)
{
    public Prometheus.CollectorRegistry Registry { get; } = registry;

    /// <summary>The run's clock (<see cref="PipelineOptions.Time"/>).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Extra top-level sections of the run summary contributed by operators (for example "ejfat").</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, Func<object>> SummarySections { get; } = new(StringComparer.Ordinal);

    public string Pipeline { get; } = pipeline;

    public RunLog Log { get; } = log;

    public RunAccounts Accounts { get; } = accounts;

    public ErrorBook Errors { get; } = errors;

    public StageMetrics Metrics { get; } = metrics;

    /// <summary>Events each source may emit (0: no limit).</summary>
    public long EventLimit { get; } = eventLimit;

    public IntakeSwitch Intake { get; } = intake;

    /// <summary>Fatal failures, failed sources and outputs: what the verdict is decided from.</summary>
    public RunFaults Faults { get; } = faults;

    /// <summary>Stops intake with a reason (the first reason given is the one reported).</summary>
    public Action<string> StopIntake { get; init; } = _ => { };

    /// <summary>Stops intake because of a fatal failure: (stage, message).</summary>
    public Action<string, string> Fatal { get; } = fatal;
}

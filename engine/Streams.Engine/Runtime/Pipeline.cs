using System.Diagnostics;
using Prometheus;
using Streams.Engine.Accounting;
using Streams.Engine.Metrics;
using Streams.Engine.Operators;
using Streams.Engine.Spec;

namespace Streams.Engine.Runtime;

/// <summary>How a pipeline run is set up.</summary>
public sealed record PipelineOptions
{
    public RunLog Log { get; init; } = RunLog.Null;

    /// <summary>Registry the run's metrics go to; null for a private one (tests, several pipelines in a process).</summary>
    public MetricsRegistry? Registry { get; init; }

    /// <summary>Stop intake after this many events in total (0: no limit).</summary>
    public long EventLimit { get; init; }

    /// <summary>Stop intake after this long (null: until the sources end or <see cref="Pipeline.StopIntake"/>).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>How often snapshots (rates, busy fractions, queue depths) are taken.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The run's clock: the duration limit, the sampler's interval and the clock sources read (idle stops). Tests may
    /// pass a fake one; the default is the system's.
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Runs the stages placed on workers (<c>placement: workers</c>); null when this run has no coordinator.</summary>
    public IRemoteStages? RemoteStages { get; init; }
}

/// <summary>
/// Runs stages with <c>placement: workers</c> somewhere else (a coordinator handing batches to worker processes). The
/// engine sees each such stage as a shared <see cref="IAsyncProcessor"/> with a number of slots (batches in flight).
/// </summary>
public interface IRemoteStages
{
    /// <summary>The stand-in for <paramref name="node"/> in this process.</summary>
    IAsyncProcessor Bind(PlannedNode node);

    /// <summary>How many batches of one remote stage may be in flight at once.</summary>
    int Slots { get; }

    /// <summary>What serves a remote stage now: worker threads, worker processes, batches waiting for a worker.</summary>
    RemoteStageState StateOf(string stage);

    /// <summary>
    /// True while a worker process that joined under <paramref name="workerName"/> (the name a node provider gave it)
    /// serves the run: joined, neither left nor declared dead. How a node provider learns that its node is ready.
    /// </summary>
    bool HasWorker(string workerName);

    /// <summary>
    /// A stop was asked for (a signal, --duration, a fatal failure; not the sources' end): the run drains now, so for
    /// example do not wait long for workers that are gone.
    /// </summary>
    void OnStopRequested(string reason)
    {
    }
}

/// <summary>A remote stage as the controller sees it.</summary>
/// <param name="Threads">Worker threads running the stage across the joined worker processes.</param>
/// <param name="Workers">Worker processes joined.</param>
/// <param name="WaitingBatches">Batches handed over and waiting for a worker with credit.</param>
/// <param name="PeakThreads">The most worker threads that served the stage at once so far in the run.</param>
public readonly record struct RemoteStageState(int Threads, int Workers, int WaitingBatches, int PeakThreads = 0);

/// <summary>
/// A running pipeline built from a <see cref="PipelinePlan"/>: sources, stages with bounded queues and worker pools,
/// sinks, wired for fan-out and fan-in. A run ends when every source has ended (end of input, event limit, duration,
/// <see cref="StopIntake"/>) and everything they emitted has drained through to the sinks, which are then flushed.
/// </summary>
public sealed class Pipeline : IDisposable
{
    private readonly PipelineOptions _options;
    private readonly RunShared _run;
    private readonly List<SourceRunner> _sources = [];
    private readonly List<QueuedStage> _stages = [];
    private readonly CancellationTokenSource _intake = new();
    private readonly PipelineSampler _sampler;
    private readonly IntakeSwitch _intakeSwitch = new();
    private readonly Stopwatch _clock = new();
    private string? _stopReason;
    private int _started;

    private Pipeline(PipelinePlan plan, PipelineOptions options)
    {
        Plan = plan;
        _options = options;
        Registry = options.Registry ?? MetricsRegistry.CreatePrivate();
        var metrics = new StageMetrics(Registry.Collectors);
        _ = new PipelineMetrics(Registry.Collectors, plan.Name, Accounts);
        var errors = new ErrorBook(options.Log);
        Errors = errors;
        _run = new RunShared(plan.Name, options.Log, Accounts, errors, metrics, options.EventLimit, _intakeSwitch, Faults, OnFatal, Registry.Collectors) { StopIntake = StopIntake, Time = options.Time };

        var inputs = new Dictionary<PlannedNode, StageInput>();
        foreach (var node in plan.Nodes.Where(n => n.Kind != OperatorKind.Source))
        {
            inputs[node] = new StageInput(node.Spec.Queue, node.Inputs.Count);
        }

        foreach (var node in plan.Nodes)
        {
            var outlet = new Outlet(node.Outputs.Select(o => inputs[o]).ToArray());
            if (node.Kind == OperatorKind.Source) _sources.Add(new SourceRunner(node, outlet, _run));
            else _stages.Add(CreateStage(node, inputs[node], node.Kind == OperatorKind.Sink ? null : outlet, options));
        }

        Stages = [.. plan.Nodes.Select(n => (IStage?)_sources.FirstOrDefault(s => s.Name == n.Name) ?? _stages.First(s => s.Name == n.Name))];
        _sampler = new PipelineSampler(Stages, Accounts, options.Time);
    }

    public PipelinePlan Plan { get; }

    public string Name => Plan.Name;

    /// <summary>Every node, in the plan's (topological) order.</summary>
    public IReadOnlyList<IStage> Stages { get; }

    internal RunAccounts Accounts { get; } = new();

    public MetricsRegistry Registry { get; }

    internal ErrorBook Errors { get; }

    /// <summary>Fatal failures, failed sources and outputs that could not be written, as the run found them.</summary>
    internal RunFaults Faults { get; } = new();

    /// <summary>Why intake stopped (null while it runs).</summary>
    public string? StopReason => Volatile.Read(ref _stopReason);

    /// <summary>The most recent snapshot (taken every <see cref="PipelineOptions.SampleInterval"/>).</summary>
    public PipelineSnapshot Latest => _sampler.Latest;

    /// <summary>Raised after every snapshot, on the sampling thread.</summary>
    public event Action<PipelineSnapshot>? Sampled;

    public static Pipeline Create(PipelinePlan plan, PipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new Pipeline(plan, options ?? new PipelineOptions());
    }

    /// <summary>Adds a top-level section to the run summary (a controller's node counts, say); the first for a key wins.</summary>
    public void AddSummarySection(string key, Func<object> produce) => _run.SummarySections.TryAdd(key, produce);

    /// <summary>Finds a stage by name.</summary>
    public IStage Stage(string name) => Stages.FirstOrDefault(s => s.Name == name) ?? throw new KeyNotFoundException($"no stage '{name}'");

    /// <summary>
    /// Stops intake: sources emit nothing more, and the run ends once what is in flight has drained. The first reason
    /// given is the one reported.
    /// </summary>
    public void StopIntake(string reason)
    {
        EndIntake(reason);
        _options.RemoteStages?.OnStopRequested(reason);
    }

    private void EndIntake(string reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, reason, null) is not null) return;
        _options.Log.Info("", $"stopping intake: {reason}; draining");
        _intakeSwitch.Stop();
        _intake.Cancel();
    }

    /// <summary>
    /// Runs the pipeline to the end and returns its summary. Cancelling <paramref name="cancellationToken"/> is the
    /// same as <see cref="StopIntake"/>: a graceful drain, not an abort.
    /// </summary>
    public async Task<PipelineSummary> RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("a pipeline runs once");
        _clock.Start();
        using var stopOnCancel = cancellationToken.Register(() => StopIntake("cancelled"));
        using var samplerStop = new CancellationTokenSource();
        var sampling = SampleLoopAsync(samplerStop.Token);
        if (_options.Duration is { } d)
        {
            _ = Task.Delay(d, _options.Time, _intake.Token).ContinueWith(t =>
            {
                if (!t.IsCanceled) StopIntake($"duration {d.TotalSeconds:0.###} s reached");
            }, TaskScheduler.Default);
        }

        _options.Log.Info("", $"pipeline '{Name}' starting: {string.Join(" -> ", Stages.Select(s => $"{s.Name}"))}");
        // Every source acquires its ports and files first: if one cannot, none runs (nothing is sent anywhere).
        var opened = _sources.Select(s => s.Open()).ToArray();
        if (!opened.All(o => o)) foreach (var s in _sources.Where((_, i) => opened[i])) s.Close();
        foreach (var s in _stages) s.Start();
        var sources = Task.WhenAll(_sources.Select(s => s.RunAsync(_intake.Token)));
        var sourcesDone = sources.ContinueWith(
            _ => EndIntake(_options.EventLimit > 0 && _sources.Any(s => s.BudgetExhausted) ? $"event limit {_options.EventLimit} reached" : "end of input"),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await Task.WhenAll(_stages.Select(s => s.RunToCompletionAsync()).Append(sources).Append(sourcesDone)).ConfigureAwait(false);
        await samplerStop.CancelAsync().ConfigureAwait(false);
        await sampling.ConfigureAwait(false);
        var last = _sampler.Sample();
        Sampled?.Invoke(last);

        var summary = Summarize(StopReason!);
        var e = summary.Events;
        _options.Log.Info("", $"pipeline '{Name}' finished in {summary.DurationSeconds:0.00} s ({summary.StopReason}): received {e.Received}, processed {e.Processed}, failed {e.Failed}, discarded {e.Discarded}, in flight {e.InFlight}");
        return summary;
    }

    /// <summary>
    /// Aborts a run without a drain (a second Ctrl+C): every sink that can (<see cref="IAbortableSink"/>) closes its
    /// output in a valid state, and the summary as it stands is returned, its in-flight events being the ones lost.
    /// Call from any thread while <see cref="RunAsync"/> runs; the caller then ends the process.
    /// </summary>
    public PipelineSummary Abort(string reason)
    {
        StopIntake(reason);
        foreach (var s in _stages) s.AbortSinks();
        var summary = Summarize(reason);
        var lost = summary.Events.InFlight;
        return summary with
        {
            Ok = false,
            ExitCode = ExitCodes.Aborted,
            ExitReason = $"aborted ({reason}): {lost} event(s) in flight were lost",
        };
    }

    private PipelineSummary Summarize(string stopReason)
    {
        var events = new EventTotals(Accounts.Received, Accounts.Processed, Accounts.Failed, Accounts.Discarded, Accounts.InFlight);
        var verdict = RunVerdict.Decide(stopReason, events, Faults);
        return new PipelineSummary(
            Name,
            _clock.Elapsed.TotalSeconds,
            verdict.Reason,
            events,
            [.. Stages.Select((s, i) => new StageSummary(s.Name, s.Kind.ToString().ToLowerInvariant(), s.Stats.EventsIn, s.Stats.EventsOut, s.Stats.Failed, s.Stats.Discarded, s.PeakThreads) { Operator = Plan.Nodes[i].Descriptor.Name })],
            Errors.Snapshot())
        {
            Ok = verdict.Ok,
            ExitCode = verdict.ExitCode,
            StopReason = stopReason,
            OutputFailures = Faults.Outputs,
            SourceFailures = Faults.Sources,
            Sections = _run.SummarySections.IsEmpty ? null : _run.SummarySections.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => SafeSection(kv.Value)),
        };
    }

    private object SafeSection(Func<object> produce)
    {
        try
        {
            return produce();
        }
        catch (Exception e)
        {
            _options.Log.Warn("", $"a summary section failed: {StageRunner.Describe(e)}");
            return new { error = e.Message };
        }
    }

    private async Task SampleLoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.SampleInterval, _options.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var snap = _sampler.Sample();
                try
                {
                    Sampled?.Invoke(snap);
                }
                catch (Exception e)
                {
                    _options.Log.Warn("", $"snapshot listener failed: {StageRunner.Describe(e)}");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // run finished
        }
    }

    public void Dispose() => _intake.Dispose();

    /// <summary>A stage in this process, or one on worker processes (<c>placement: workers</c>) through the run's coordinator.</summary>
    private QueuedStage CreateStage(PlannedNode node, StageInput input, Outlet? outlet, PipelineOptions options)
    {
        if (node.Spec.Placement != Placement.Workers) return new StageRunner(node, input, outlet, _run);
        var remote = options.RemoteStages ?? throw new InvalidOperationException(
            $"stage '{node.Name}' runs on workers (placement: workers) but this run has no coordinator (PipelineOptions.RemoteStages is not set)");
        return new RemoteStageRunner(node, input, outlet, _run, remote.Bind(node), remote.Slots, () => remote.StateOf(node.Name));
    }

    private void OnFatal(string stage, string message)
    {
        // Kept even when intake already stopped (a bounded source ended first): the verdict is still "fatal".
        Faults.SetFatal(stage, message);
        StopIntake($"fatal failure in '{stage}': {message}");
    }
}

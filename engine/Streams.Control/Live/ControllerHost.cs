using System.Globalization;
using Streams.Control.Laws;
using Streams.Control.Nodes;
using Streams.Control.Sites;
using Streams.Control.Twin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;

namespace Streams.Control.Live;

/// <summary>
/// The controller in a running pipeline. It runs its own loop, a task that wakes every interval on its
/// <see cref="TimeProvider"/> and reads the pipeline's latest snapshot (never the sampler's thread, so neither the
/// progress display nor a metrics scrape ever waits for it). Per controlled stage: measurement
/// (<see cref="StageMeter"/>), the law's decision and node bookkeeping (<see cref="StageControl"/>, the same code the
/// simulation runs), then the step is carried out (threads set; nodes requested or released) and published
/// (<see cref="ControlPublisher"/>). Node provider calls run one at a time on a task of their own: while one is
/// outstanding the stages on workers hold, and the controller says each tick what it waits for.
/// </summary>
public sealed partial class ControllerHost : IDisposable
{
    private readonly Pipeline _pipeline;
    private readonly ControllerSettings _settings;
    private readonly TimeProvider _time;
    private readonly ControlPublisher _publish;
    private readonly List<Loop> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    /// <summary>
    /// Controls the stages of <paramref name="settings"/>. Stages placed on workers are sized in nodes from
    /// <paramref name="nodes"/> (worker processes that join through <paramref name="remote"/>, the coordinator); the
    /// summary then gets a <c>"nodes"</c> section (and, with a <see cref="MultiSiteProvider"/>, a <c>"sites"</c> section).
    /// The loop starts at once and ticks on <paramref name="time"/>.
    /// </summary>
    public ControllerHost(Pipeline pipeline, ControllerSettings settings, RunLog log, IRemoteStages? remote = null, INodeProvider? nodes = null, TimeProvider? time = null)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _time = time ?? TimeProvider.System;
        _remote = remote;
        _publish = new ControlPublisher(pipeline.Registry, pipeline.Name, log, settings.Record);
        _stepper = nodes is null ? null : new NodeStepper(nodes, _publish, _time);
        foreach (var name in settings.Stages)
        {
            var stage = pipeline.Stage(name);
            var onWorkers = pipeline.Plan.Nodes.First(n => n.Name == name).Spec.Placement == Placement.Workers;
            if (onWorkers)
            {
                if (nodes is null || remote is null || settings.Nodes is not { } ns)
                {
                    log.Warn("controller", $"{name} runs on workers and no node provider is set (control.node-provider): not controlled");
                    continue;
                }

                var remoteBounds = new ControlBounds(ns.MinNodes * ns.Cores, ns.MaxNodes * ns.Cores);
                var law = ControlLaws.Create(settings.Law, remoteBounds, settings.Parameters);
                _loops.Add(new Loop(stage, new StageControl(name, law, CapacityShape.Nodes(ns.Cores, ns.MinNodes, ns.MaxNodes), Advisor(settings, remoteBounds)), new StageMeter(ns.ServiceRate), Remote: true));
                continue;
            }

            // Worker threads in this process start at once and do not fail to start: no boot delay or failure margin to
            // plan for, unless the file says otherwise (stages on nodes keep the law's defaults).
            var parameters = new Dictionary<string, string>(settings.Parameters, StringComparer.Ordinal);
            if (settings.Law == ControlLaws.QueueModel)
            {
                parameters.TryAdd("boot-seconds", "0");
                parameters.TryAdd("failure-hedge", "0");
            }

            var bounds = new ControlBounds(settings.Min, Math.Max(settings.Min, Math.Min(settings.Max ?? stage.MaxThreads, stage.MaxThreads)));
            var shape = CapacityShape.Threads(bounds.Min, bounds.Max);
            _loops.Add(new Loop(stage, new StageControl(name, ControlLaws.Create(settings.Law, bounds, parameters), shape, Advisor(settings, bounds)), new StageMeter(), Remote: false));
        }

        if (nodes is not null && _loops.Any(l => l.Remote))
        {
            var books = _loops.Where(l => l.Remote).Select(l => l.Control.Nodes).ToList();
            pipeline.AddSummarySection("nodes", () => new NodesSummary(nodes.Name, books.Sum(b => b.Requested), books.Sum(b => b.Joined), books.Sum(b => b.Released), books.Sum(b => b.Failed)));
            if (nodes is MultiSiteProvider sites)
            {
                // Per site: what was asked and given, node-hours, learned join times, health (a site that failed says so).
                pipeline.AddSummarySection("sites", sites.Summary);
                sites.Log ??= _publish.Info;
                if (sites.Deadline is null)
                {
                    // Placements race the queue: a late site is worth less when the queue overflows soon.
                    var target = settings.Parameters.TryGetValue("queue-target", out var t) && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 5000;
                    _deadline = new QueueDeadline(target);
                    sites.Deadline = () => _deadline.Seconds;
                }
            }
        }

        _publish.Info(string.Create(CultureInfo.InvariantCulture, $"law {settings.Law} every {settings.IntervalSeconds:0.##} s on {string.Join(", ", settings.Stages)}"));
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Threads each controlled stage has had, lowest and highest, after the first decision.</summary>
    public IReadOnlyDictionary<string, (int Low, int High)> Range => _loops.ToDictionary(l => l.Stage.Name, l => (l.Low, l.High));

    /// <summary>Threads each controlled stage was given by the latest decision.</summary>
    public IReadOnlyDictionary<string, int> Final => _loops.ToDictionary(l => l.Stage.Name, l => l.Last);

    /// <summary>Ticks taken so far (each reads the latest snapshot once).</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    private long _ticks;

    /// <summary>The loop: every interval on the clock, one tick; it ends when the host is disposed.</summary>
    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_settings.IntervalSeconds), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    Tick();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _publish.Warn($"tick failed: {e.GetType().Name}: {e.Message}");
                }

                Interlocked.Increment(ref _ticks);
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    /// <summary>One tick: stages in this process decide now; stages on workers start a node step unless one is outstanding.</summary>
    private void Tick()
    {
        if (_pipeline.StopReason is not null) return; // draining: the pools wind down on their own
        var snap = _pipeline.Latest;
        foreach (var loop in _loops.Where(l => !l.Remote))
        {
            if (StageReading.Of(snap, loop.Stage) is not { } r || loop.Meter.Local(r) is not { } o) continue;
            var step = loop.Control.Decide(o);
            var target = loop.Stage.SetThreads(step.Threads);
            var action = target > o.Ready ? "up" : target < o.Ready ? "down" : "hold";
            _publish.Decision(loop.Control, o, step.Decision, target, action);
            if (action != "hold") _publish.ThreadsChanged(loop.Control, o.Ready, target, step.Decision, o.Utilisation);
            loop.Decided(target);
        }

        if (_loops.Any(l => l.Remote)) TickNodes();
    }

    /// <summary>
    /// With <c>twin-advisor: true</c> (and another law), a twin that only watches and advises, through its metrics; it
    /// takes the file's parameters that a twin law takes too (queue-target, drain-seconds).
    /// </summary>
    private static TwinLaw? Advisor(ControllerSettings settings, ControlBounds bounds) =>
        settings.TwinAdvisor && settings.Law != ControlLaws.Twin ? (TwinLaw)ControlLaws.Create(ControlLaws.Twin, bounds, ControlLaws.ParametersOf(ControlLaws.Twin, settings.Parameters)) : null;

    public void Dispose()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        try
        {
            // The loop ends at once; an outstanding provider call is cancelled (a child process is killed).
            Task.WhenAll(_run, _nodeStep).Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // ended by the cancellation
        }

        _publish.Dispose();
        _stop.Dispose();
    }

    /// <summary>One controlled stage: what it is, how it is measured and decided, what it has had.</summary>
    private sealed record Loop(IStage Stage, StageControl Control, StageMeter Meter, bool Remote)
    {
        public int Low { get; private set; } = int.MaxValue;

        public int High { get; private set; }

        public int Last { get; private set; }

        public void Decided(int servers)
        {
            Last = servers;
            Low = Math.Min(Low, servers);
            High = Math.Max(High, servers);
        }
    }
}

/// <summary>The summary's <c>"nodes"</c> section.</summary>
public sealed record NodesSummary(string Provider, int Requested, int Joined, int Released, int Failed);

using System.Globalization;
using Prometheus;
using Streams.Control.Laws;
using Streams.Control.Nodes;
using Streams.Control.Twin;
using Streams.Engine.Operators;
using Streams.Engine.Spec;
using Streams.Engine.Runtime;

namespace Streams.Control.Live;

/// <summary>
/// The controller in a running pipeline: every interval it measures each controlled stage from the pipeline's snapshots
/// (queue length in events, arrival rate, per-worker service rate from busy time, workers, utilisation, allocation),
/// asks the stage's law for a demand, and resizes the stage's worker pool. Every decision is exported as
/// <c>streams_controller_*</c> metrics, and every change is logged with what was measured and why.
/// </summary>
public sealed class ControllerHost : IDisposable
{
    private readonly Pipeline _pipeline;
    private readonly ControllerSettings _settings;
    private readonly RunLog _log;
    private readonly Dictionary<string, StageLoop> _loops = new(StringComparer.Ordinal);
    private readonly Lock _traceGate = new();
    private bool _closed;
    private readonly Gauge _demand, _supply, _queue, _lambda, _mu;
    private readonly Counter _decisions;

    private readonly IRemoteStages? _remote;
    private readonly INodeProvider? _nodes;
    private readonly Gauge _nodeStates;
    private readonly Gauge _twinLoad, _twinLoadSd, _twinPredicted, _twinQueue, _twinRecommended;
    private readonly HashSet<string> _seenReady = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenFailed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenEnding = new(StringComparer.Ordinal);
    private readonly HashSet<string> _releasing = new(StringComparer.Ordinal);
    private int _requested, _released;
    private double _lastProviderError = -1;

    /// <summary>
    /// Controls the stages of <paramref name="settings"/>. Stages placed on workers are sized in nodes from
    /// <paramref name="nodes"/> (worker processes that join through <paramref name="remote"/>, the coordinator); the
    /// summary then gets a <c>"nodes"</c> section.
    /// </summary>
    public ControllerHost(Pipeline pipeline, ControllerSettings settings, RunLog log, IRemoteStages? remote = null, INodeProvider? nodes = null)
    {
        _remote = remote;
        _nodes = nodes;
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _log = log;
        var f = pipeline.Registry.Factory;
        string[] labels = ["pipeline", "stage", "law"];
        _demand = f.CreateGauge("streams_controller_demand", "Servers (workers) the control law asks for.", labels);
        _supply = f.CreateGauge("streams_controller_supply", "Workers serving the stage.", labels);
        _queue = f.CreateGauge("streams_controller_queue_events", "Events waiting in front of the stage, as the controller measured them.", labels);
        _lambda = f.CreateGauge("streams_controller_arrival_rate", "Arrival rate lambda (events/s) measured over the last interval.", labels);
        _mu = f.CreateGauge("streams_controller_service_rate", "Per-worker service rate mu (events/s of busy time) over the last interval.", labels);
        _decisions = f.CreateCounter("streams_controller_decisions_total", "Decisions, by action (up, down, hold).", [.. labels, "action"]);
        string[] twinLabels = ["pipeline", "stage"];
        _twinLoad = f.CreateGauge("streams_twin_load_estimate", "The twin's filtered offered load (busy servers, lambda/mu): posterior mean.", twinLabels);
        _twinLoadSd = f.CreateGauge("streams_twin_load_sd", "Spread (sd) of the twin's filtered load.", twinLabels);
        _twinPredicted = f.CreateGauge("streams_twin_load_predicted", "The twin's load prediction, horizon steps ahead.", twinLabels);
        _twinQueue = f.CreateGauge("streams_twin_queue_predicted", "The twin's predicted queue (median), horizon steps ahead, under its recommendation.", twinLabels);
        _twinRecommended = f.CreateGauge("streams_twin_recommended_servers", "The control (servers) the twin recommends.", twinLabels);
        _nodeStates = f.CreateGauge("streams_nodes", "Nodes of the node provider by state (booting, ready, draining, gone, failed), as last listed.", ["pipeline", "provider", "state"]);
        foreach (var name in settings.Stages)
        {
            var stage = pipeline.Stage(name);
            var onWorkers = pipeline.Plan.Nodes.First(n => n.Name == name).Spec.Placement == Placement.Workers;
            if (onWorkers)
            {
                if (nodes is null || remote is null || settings.Nodes is not { } ns)
                {
                    _log.Warn("controller", $"{name} runs on workers and no node provider is set (control.node-provider): not controlled");
                    continue;
                }

                var remoteBounds = new ControlBounds(ns.MinNodes * ns.Cores, ns.MaxNodes * ns.Cores);
                _loops[name] = new StageLoop(stage, ControlLaws.Create(settings.Law, remoteBounds, settings.Parameters)) { Remote = true, Mu = ns.ServiceRate, Advisor = Advisor(settings, remoteBounds) };
                continue;
            }

            // Worker threads in this process start at once and do not fail to start: no boot delay or failure margin to
            // plan for, unless the file says otherwise (stages on nodes keep the law's defaults).
            var parameters = new Dictionary<string, string>(settings.Parameters, StringComparer.Ordinal);
            if (settings.Law == "queue-model")
            {
                parameters.TryAdd("boot-seconds", "0");
                parameters.TryAdd("failure-hedge", "0");
            }

            var bounds = new ControlBounds(settings.Min, Math.Max(settings.Min, Math.Min(settings.Max ?? stage.MaxThreads, stage.MaxThreads)));
            _loops[name] = new StageLoop(stage, ControlLaws.Create(settings.Law, bounds, parameters)) { Advisor = Advisor(settings, bounds) };
        }

        if (nodes is not null && _loops.Values.Any(l => l.Remote))
        {
            pipeline.AddSummarySection("nodes", () => new NodesSummary(nodes.Name, _requested, _seenReady.Count, _released, _seenFailed.Count));
        }

        pipeline.Sampled += OnSample;
        _log.Info("controller", string.Create(CultureInfo.InvariantCulture, $"law {settings.Law} every {settings.IntervalSeconds:0.##} s on {string.Join(", ", settings.Stages)}"));
    }

    /// <summary>Workers each controlled stage has had, lowest and highest, after the first decision.</summary>
    public IReadOnlyDictionary<string, (int Low, int High)> Range => _loops.ToDictionary(kv => kv.Key, kv => (kv.Value.Low, kv.Value.High));

    /// <summary>Workers each controlled stage was given by the latest decision.</summary>
    public IReadOnlyDictionary<string, int> Final => _loops.ToDictionary(kv => kv.Key, kv => kv.Value.Last);

    private void OnSample(PipelineSnapshot snap)
    {
        if (_pipeline.StopReason is not null) return; // draining: the pools wind down on their own
        foreach (var loop in _loops.Values)
        {
            var s = snap.Stages.FirstOrDefault(x => x.Name == loop.Stage.Name);
            if (s is null) continue;
            var now = snap.Elapsed.TotalSeconds;
            if (loop.LastTime is null)
            {
                loop.Remember(now, s, QueueEvents(loop, s));
                continue;
            }

            var dt = now - loop.LastTime.Value;
            loop.Busy += s.BusyFraction * s.Threads * Math.Max(0, now - loop.LastSampleTime);
            loop.LastSampleTime = now;
            if (dt < _settings.IntervalSeconds) continue;
            Decide(loop, s, now, dt);
        }
    }

    private void Decide(StageLoop loop, StageSnapshot s, double now, double dt)
    {
        if (loop.Remote)
        {
            DecideNodes(loop, s, now, dt);
            return;
        }

        var queue = QueueEvents(loop, s);
        var served = s.EventsIn - loop.LastIn;
        var arrivals = Math.Max(0, served + (queue - loop.LastQueue));
        var lambda = arrivals / dt;
        var mu = loop.Busy > 1e-6 ? served / loop.Busy : double.NaN;
        var utilisation = Math.Clamp(loop.Busy / Math.Max(1e-9, s.Threads * dt), 0, 1);
        var allocation = queue > 0 ? 1 : utilisation;
        var o = new ControlObservation(now, dt, queue, lambda, mu, s.Threads, 0, utilisation, allocation);
        var d = loop.Law.Decide(o);
        AfterDecision(loop, o);
        var target = loop.Stage.SetThreads(d.Servers);
        var action = target > s.Threads ? "up" : target < s.Threads ? "down" : "hold";
        Publish(loop, d, target, o, action);
        if (action != "hold")
        {
            _log.Info("controller", string.Create(CultureInfo.InvariantCulture,
                $"{loop.Stage.Name}: workers {s.Threads} -> {target} ({loop.Law.Name}: {d.Reason}; utilisation {utilisation:0.00})"));
        }

        loop.Last = target;
        loop.Low = Math.Min(loop.Low, target);
        loop.High = Math.Max(loop.High, target);
        loop.Remember(now, s, queue);
    }

    /// <summary>A stage on workers: measure it through the coordinator, size it in whole nodes.</summary>
    private void DecideNodes(StageLoop loop, StageSnapshot s, double now, double dt)
    {
        var settings = _settings.Nodes!;
        var state = _remote!.StateOf(loop.Stage.Name);
        IReadOnlyList<NodeInfo> pool;
        try
        {
            pool = _nodes!.List();
        }
        catch (Exception e) when (IsProviderError(e))
        {
            // The provider cannot be asked (squeue down, SLURM_CONF unset): hold.
            ProviderError(loop, now, $"cannot list its nodes, holding: {e.Message.Split('\n')[0]}");
            loop.Remember(now, s, loop.LastQueue);
            return;
        }

        foreach (var st in Enum.GetValues<NodeState>())
        {
            _nodeStates.WithLabels(_pipeline.Plan.Name, _nodes!.Name, st.ToString().ToLowerInvariant()).Set(pool.Count(n => n.State == st));
        }

        foreach (var n in pool)
        {
            if (n.State == NodeState.Ready) _seenReady.Add(n.Id);
            if (n.State == NodeState.Failed && _seenFailed.Add(n.Id)) _log.Warn("controller", $"{loop.Stage.Name}: node {n.Id} failed");
            if (n.State == NodeState.Draining && !_releasing.Contains(n.Id) && _seenEnding.Add(n.Id))
            {
                _log.Info("controller", $"{loop.Stage.Name}: node {n.Id} is near its end (walltime or lifetime) and drains on its own; it no longer counts as capacity, so a replacement is requested now if needed");
            }
        }

        var batches = loop.Stage.Stats.Batches;
        var perBatch = batches > 0 ? (double)s.EventsIn / batches : 1;
        var queue = QueueEvents(loop, s);
        var served = s.EventsOut - loop.LastOut;
        var arrivals = Math.Max(0, (s.EventsIn - loop.LastIn) + (queue - loop.LastQueue));
        var ready = state.Threads;
        // Saturated (work waits), the rate per thread is what they did; otherwise keep the last estimate (or the prior).
        if (ready > 0 && queue > perBatch && served > 0) loop.Mu = served / (ready * dt);
        var utilisation = ready > 0 ? Math.Clamp(served / (ready * loop.Mu * dt), 0, 1) : 0;
        var booting = pool.Count(n => n.State == NodeState.Booting) * settings.Cores;
        var oldest = pool.Where(n => n.State == NodeState.Booting).Select(n => (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0) - n.RequestedAt).DefaultIfEmpty(0).Max();
        var o = new ControlObservation(now, dt, queue, arrivals / dt, loop.Mu, ready, booting, utilisation, queue > 0 ? 1 : utilisation, oldest);
        var d = loop.Law.Decide(o);
        AfterDecision(loop, o);
        var wanted = Math.Clamp((int)Math.Ceiling((d.Demand - 1e-9) / settings.Cores), settings.MinNodes, settings.MaxNodes);
        var (request, release) = CapacitySplit.Plan(wanted, pool);
        Publish(loop, d, ready, o, request > 0 ? "up" : release.Count > 0 ? "down" : "hold");
        try
        {
            for (var i = 0; i < request; i++)
            {
                var id = _nodes.Request();
                _requested++;
                _log.Info("controller", $"{loop.Stage.Name}: requested node {id} from {_nodes.Name} ({loop.Law.Name}: {d.Reason})");
            }

            foreach (var id in release)
            {
                _nodes.Release(id, drain: true); // asked again each tick: a guard may defer it (minimum lifetime)
                if (!_releasing.Add(id)) continue;
                _released++;
                _log.Info("controller", $"{loop.Stage.Name}: releasing node {id} with drain ({loop.Law.Name}: {d.Reason})");
            }
        }
        catch (Exception e) when (IsProviderError(e))
        {
            ProviderError(loop, now, $"{e.Message.Split('\n')[0]} (retrying every tick)");
        }

        loop.Remember(now, s, queue);
    }

    /// <summary>Events waiting for the stage: its input queue, plus (on workers) the batches waiting for a worker.</summary>
    private double QueueEvents(StageLoop loop, StageSnapshot s)
    {
        var batches = loop.Stage.Stats.Batches;
        var perBatch = batches > 0 ? (double)s.EventsIn / batches : 1;
        var waiting = loop.Remote ? _remote!.StateOf(loop.Stage.Name).WaitingBatches : 0;
        return (s.QueueDepth + waiting) * perBatch;
    }

    /// <summary>Exports one decision: what was measured, what the law asked for, what serves the stage.</summary>
    private void Publish(StageLoop loop, ControlDecision d, double supply, in ControlObservation o, string action)
    {
        var lbl = new[] { _pipeline.Name, loop.Stage.Name, loop.Law.Name };
        _demand.WithLabels(lbl).Set(d.Demand);
        _supply.WithLabels(lbl).Set(supply);
        _queue.WithLabels(lbl).Set(o.Queue);
        _lambda.WithLabels(lbl).Set(o.ArrivalRate);
        if (!double.IsNaN(o.ServiceRate)) _mu.WithLabels(lbl).Set(o.ServiceRate);
        _decisions.WithLabels([.. lbl, action]).Inc();
    }

    /// <summary>
    /// With <c>twin-advisor: true</c> (and another law), a twin that only watches and advises, through its metrics; it
    /// takes the file's parameters that a twin law takes too (queue-target, drain-seconds).
    /// </summary>
    private static TwinLaw? Advisor(ControllerSettings settings, ControlBounds bounds) =>
        settings.TwinAdvisor && settings.Law != "twin" ? (TwinLaw)ControlLaws.Create("twin", bounds, ControlLaws.ParametersOf("twin", settings.Parameters)) : null;

    /// <summary>After each decision: feeds the advisor, exports the twin's view, and with <c>record:</c> writes the tick.</summary>
    private void AfterDecision(StageLoop loop, in ControlObservation o)
    {
        loop.Advisor?.Decide(o);
        PublishTwin(loop);
        if (_settings.Record is { } folder) Record(loop, folder, o);
    }

    /// <summary>Exports the estimate, prediction and recommendation of the stage's twin (its law or its advisor), if any.</summary>
    private void PublishTwin(StageLoop loop)
    {
        if ((loop.Law as TwinLaw ?? loop.Advisor) is not { } twin) return;
        var lbl = new[] { _pipeline.Name, loop.Stage.Name };
        _twinLoad.WithLabels(lbl).Set(twin.Filter.Estimate);
        _twinLoadSd.WithLabels(lbl).Set(twin.Filter.EstimateSd);
        _twinPredicted.WithLabels(lbl).Set(twin.Prediction.Load);
        _twinQueue.WithLabels(lbl).Set(twin.Prediction.Queue);
        _twinRecommended.WithLabels(lbl).Set(twin.Recommended);
    }

    /// <summary>
    /// Appends the tick to FOLDER/STAGE.csv in the format <c>streams twin replay</c> reads: time, queue, workers ready,
    /// arrivals in the tick (no true load: this is real).
    /// </summary>
    private void Record(StageLoop loop, string folder, in ControlObservation o)
    {
        lock (_traceGate)
        {
            if (_closed) return;
            if (loop.Trace is null)
            {
                Directory.CreateDirectory(folder);
                loop.Trace = new StreamWriter(Path.Combine(folder, $"{loop.Stage.Name}.csv")) { AutoFlush = true };
                loop.Trace.WriteLine(TwinTrace.Header);
            }

            loop.Trace.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{o.Time:0.###},{o.Queue:0},{o.Ready},{o.ArrivalRate * o.Interval:0},"));
        }
    }

    private static bool IsProviderError(Exception e) => e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException;

    /// <summary>Logs a node provider's failure now and then (every 30 s), not at every tick.</summary>
    private void ProviderError(StageLoop loop, double now, string message)
    {
        if (_lastProviderError >= 0 && now - _lastProviderError < 30) return;
        _lastProviderError = now;
        _log.Error("controller", $"{loop.Stage.Name}: node provider {_nodes!.Name}: {message}; logged every 30 s");
    }

    public void Dispose()
    {
        _pipeline.Sampled -= OnSample;
        lock (_traceGate)
        {
            _closed = true;
            foreach (var loop in _loops.Values) loop.Trace?.Dispose();
        }
    }

    private sealed class StageLoop(IStage stage, IControlLaw law)
    {
        /// <summary>Placed on workers: sized in nodes.</summary>
        public bool Remote { get; init; }

        /// <summary>Events/s per worker thread (remote stages): the prior, then the last saturated measurement.</summary>
        public double Mu { get; set; }

        public long LastOut { get; private set; }

        public IStage Stage { get; } = stage;

        public IControlLaw Law { get; } = law;

        /// <summary>A twin advising beside the law (metrics only), or null.</summary>
        public TwinLaw? Advisor { get; init; }

        /// <summary>The stage's recorded trace (control key <c>record</c>), once the first tick is written.</summary>
        public StreamWriter? Trace { get; set; }

        public double? LastTime { get; private set; }

        public double LastSampleTime { get; set; }

        public long LastIn { get; private set; }

        public double LastQueue { get; private set; }

        /// <summary>Busy worker-seconds since the last decision.</summary>
        public double Busy { get; set; }

        public int Low { get; set; } = int.MaxValue;

        public int High { get; set; }

        public int Last { get; set; }

        public void Remember(double now, StageSnapshot s, double queue)
        {
            LastTime = now;
            LastSampleTime = now;
            LastIn = s.EventsIn;
            LastOut = s.EventsOut;
            LastQueue = queue;
            Busy = 0;
        }
    }
}

/// <summary>The summary's <c>"nodes"</c> section.</summary>
public sealed record NodesSummary(string Provider, int Requested, int Joined, int Released, int Failed);

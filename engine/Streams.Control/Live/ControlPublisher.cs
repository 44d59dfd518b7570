using System.Globalization;
using Prometheus;
using Streams.Control.Laws;
using Streams.Control.Twin;
using Streams.Engine.Metrics;
using Streams.Engine.Runtime;
using Streams.Engine.Operators;
using Streams.Reporting;

namespace Streams.Control.Live;

/// <summary>
/// Publishing: every decision as <c>streams_controller_*</c> metrics (and the twin's view as <c>streams_twin_*</c>),
/// the node pool as <c>streams_nodes</c>, a provider call that is outstanding as
/// <c>streams_controller_provider_wait_seconds</c> and a log line, every change in the run's log, and with
/// <c>record:</c> each tick in FOLDER/STAGE.csv.
/// </summary>
public sealed class ControlPublisher : IDisposable
{
    private readonly string _pipeline;
    private readonly RunLog _log;
    private readonly string? _record;
    private readonly Lock _traceGate = new();
    private readonly Dictionary<string, CsvTableWriter> _traces = new(StringComparer.Ordinal);
    private readonly Gauge _demand, _supply, _queue, _lambda, _mu, _nodeStates, _providerWait;
    private readonly Gauge _twinLoad, _twinLoadSd, _twinPredicted, _twinQueue, _twinRecommended;
    private readonly Counter _decisions;
    private bool _closed;
    private double _lastProviderError = double.NegativeInfinity, _lastWaitLog = double.NegativeInfinity;

    public ControlPublisher(MetricsRegistry registry, string pipeline, RunLog log, string? record)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _pipeline = pipeline;
        _log = log;
        _record = record;
        var f = registry.Factory;
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
        _providerWait = f.CreateGauge("streams_controller_provider_wait_seconds", "Seconds the controller has been waiting for the node provider's outstanding call (0: none).", ["pipeline", "provider"]);
    }

    /// <summary>Exports one decision (what was measured, what the law asked for, what serves the stage), the twin's view, and the CSV record.</summary>
    public void Decision(StageControl c, in ControlObservation o, ControlDecision d, double supply, string action)
    {
        ArgumentNullException.ThrowIfNull(c);
        var lbl = new[] { _pipeline, c.Stage, c.Law.Name };
        _demand.WithLabels(lbl).Set(d.Demand);
        _supply.WithLabels(lbl).Set(supply);
        _queue.WithLabels(lbl).Set(o.Queue);
        _lambda.WithLabels(lbl).Set(o.ArrivalRate);
        if (!double.IsNaN(o.ServiceRate)) _mu.WithLabels(lbl).Set(o.ServiceRate);
        _decisions.WithLabels([.. lbl, action]).Inc();
        if (c.Twin is { } twin)
        {
            var tl = new[] { _pipeline, c.Stage };
            _twinLoad.WithLabels(tl).Set(twin.Filter.Estimate);
            _twinLoadSd.WithLabels(tl).Set(twin.Filter.EstimateSd);
            _twinPredicted.WithLabels(tl).Set(twin.Prediction.Load);
            _twinQueue.WithLabels(tl).Set(twin.Prediction.Queue);
            _twinRecommended.WithLabels(tl).Set(twin.Recommended);
        }

        if (_record is { } folder) Record(c.Stage, folder, o);
    }

    /// <summary>Logs a change of the stage's threads with its reason.</summary>
    public void ThreadsChanged(StageControl c, int from, int to, ControlDecision d, double utilisation) =>
        _log.Info("controller", string.Create(CultureInfo.InvariantCulture, $"{c.Stage}: workers {from} -> {to} ({c.Law.Name}: {d.Reason}; utilisation {utilisation:0.00})"));

    public void Info(string message) => _log.Info("controller", message);

    public void Warn(string message) => _log.Warn("controller", message);

    /// <summary>Exports the pool by state.</summary>
    public void Pool(string provider, Func<Nodes.NodeState, int> count)
    {
        ArgumentNullException.ThrowIfNull(count);
        foreach (var st in Enum.GetValues<Nodes.NodeState>()) _nodeStates.WithLabels(_pipeline, provider, st.ToString().ToLowerInvariant()).Set(count(st));
    }

    /// <summary>
    /// The controller waits for the provider's outstanding <paramref name="call"/> (0 s: none): exported each tick, and
    /// logged as "waiting for node provider P (CALL, N s)" from the first tick it waits, then every 10 s.
    /// </summary>
    public void Waiting(string provider, string? call, double seconds, double now)
    {
        _providerWait.WithLabels(_pipeline, provider).Set(call is null ? 0 : seconds);
        if (call is null)
        {
            _lastWaitLog = double.NegativeInfinity;
            return;
        }

        if (now - _lastWaitLog < 10) return;
        _lastWaitLog = now;
        _log.Info("controller", string.Create(CultureInfo.InvariantCulture, $"waiting for node provider {provider} ({call}, {seconds:0} s); holding"));
    }

    /// <summary>Logs a node provider's failure now and then (every 30 s), not at every tick.</summary>
    public void ProviderError(string stage, string provider, double now, string message)
    {
        if (now - _lastProviderError < 30) return;
        _lastProviderError = now;
        _log.Error("controller", $"{stage}: node provider {provider}: {message}; logged every 30 s");
    }

    /// <summary>
    /// Appends the tick to FOLDER/STAGE.csv in the format <c>streams twin replay</c> reads: time, queue, workers ready,
    /// arrivals in the tick (no true load: this is real).
    /// </summary>
    private void Record(string stage, string folder, in ControlObservation o)
    {
        lock (_traceGate)
        {
            if (_closed) return;
            if (!_traces.TryGetValue(stage, out var trace))
            {
                Directory.CreateDirectory(folder);
                _traces[stage] = trace = new CsvTableWriter(new StreamWriter(Path.Combine(folder, $"{stage}.csv")), TwinTrace.Columns);
            }

            trace.Row([CsvTable.Field(o.Time), CsvTable.Field(o.Queue, "0"), CsvTable.Field(o.Ready), CsvTable.Field(o.ArrivalRate * o.Interval, "0"), ""]);
        }
    }

    public void Dispose()
    {
        lock (_traceGate)
        {
            _closed = true;
            foreach (var t in _traces.Values) t.Dispose();
        }
    }
}

using Streams.Control.Laws;
using Streams.Control.Live;
using Streams.Control.Nodes;

namespace Streams.Control.Simulation;

/// <summary>The simulated stage and its node pool.</summary>
public sealed record SimulationSettings
{
    /// <summary>Events/s one server completes.</summary>
    public double Mu { get; init; } = 100;

    /// <summary>Worker threads this process can run (started at once).</summary>
    public int LocalWorkers { get; init; } = 8;

    /// <summary>Servers a node adds.</summary>
    public int CoresPerNode { get; init; } = 16;

    public int MaxNodes { get; init; } = 8;

    /// <summary>Node boot delay: mean and standard deviation (a normal distribution cut at 10 s).</summary>
    public double BootMeanSeconds { get; init; } = 120;

    public double BootSdSeconds { get; init; } = 30;

    /// <summary>Probability that a requested node never becomes ready (found failed at the end of its boot).</summary>
    public double FailProbability { get; init; } = 0.1;

    public double QueueTarget { get; init; } = 5000;

    /// <summary>Seconds between control ticks (the same for every law).</summary>
    public double IntervalSeconds { get; init; } = 5;

    public int Seed { get; init; } = 1;

    public ControlBounds Bounds => new(1, LocalWorkers + (MaxNodes * CoresPerNode));
}

/// <summary>What one law did on one trace.</summary>
public sealed record SimulationResult(
    string Law, string Trace, double TimeOverTargetSeconds, double PeakQueue, double CoreSeconds, int ScalingActions, int ActionsWhileFlat,
    long EventsArrived, long EventsServed, double FinalQueue, int NodesRequested, int NodesFailed)
{
    /// <summary>Per-second series for the plots: time, arrivals/s, queue, ready servers, requested servers.</summary>
    public required SimulationSeries Series { get; init; }
}

public sealed record SimulationSeries(double[] Time, double[] Arrivals, double[] Queue, double[] Ready, double[] Requested);

/// <summary>
/// A deterministic simulation (virtual clock, 1 s steps, seeded) of one stage fed by an arrival trace: Poisson
/// arrivals, servers each completing Poisson(mu) events per second while work waits, worker threads in this process
/// (instant) and nodes from a simulated provider (boot delay drawn per node, some fail to start). Every law sees the same
/// arrivals, boot delays and failures. Core-seconds count local workers and every node from request to release.
/// </summary>
public static class StageSimulation
{
    public static SimulationResult Run(IControlLaw law, ArrivalTrace trace, SimulationSettings s)
    {
        ArgumentNullException.ThrowIfNull(law);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(s);
        var arrivalsRng = new Random(s.Seed);
        var serviceRng = new Random(s.Seed + 1);
        var provider = new SimulatedNodes(s);
        // The live controller's decision and node books; here the stage and the clock are simulated.
        var control = new StageControl("simulated", law, new CapacityShape(1, s.LocalWorkers, s.CoresPerNode, 0, s.MaxNodes));
        var n = (int)trace.DurationSeconds;
        var series = new SimulationSeries(new double[n], new double[n], new double[n], new double[n], new double[n]);
        double queue = 0, coreSeconds = 0, overTarget = 0, peak = 0;
        long arrived = 0, served = 0;
        var workers = 1;
        int actions = 0, flatActions = 0;
        double tickArrivals = 0, tickServed = 0, tickBusy = 0, tickCapacity = 0, tickWithWork = 0;
        var lastTick = 0.0;
        int? lastTarget = null;
        for (var t = 0; t < n; t++)
        {
            provider.Advance(t);
            var ready = workers + provider.ReadyCores;
            var a = (double)RandomDraws.Poisson(arrivalsRng, trace.Rate(t));
            var capacity = (double)RandomDraws.Poisson(serviceRng, ready * s.Mu);
            var done = Math.Min(queue + a, capacity);
            var hadWork = queue + a > 0;
            queue += a - done;
            arrived += (long)a;
            served += (long)done;
            tickArrivals += a;
            tickServed += done;
            tickBusy += done / s.Mu;
            tickCapacity += ready;
            tickWithWork += hadWork ? (queue > 0 ? ready : Math.Min(ready, done / s.Mu)) : 0;
            coreSeconds += workers + provider.RequestedCores; // a node costs from request to release
            if (queue > s.QueueTarget) overTarget++;
            peak = Math.Max(peak, queue);
            series.Time[t] = t;
            series.Arrivals[t] = a;
            series.Queue[t] = queue;
            series.Ready[t] = ready;
            series.Requested[t] = workers + provider.RequestedCores;

            if (t + 1 - lastTick >= s.IntervalSeconds)
            {
                var dt = t + 1 - lastTick;
                control.Nodes.Observe(provider.List());
                var o = new ControlObservation(
                    t + 1, dt, queue, tickArrivals / dt, tickBusy > 0 ? tickServed / tickBusy : double.NaN, ready, provider.RequestedCores - provider.ReadyCores,
                    tickCapacity > 0 ? tickBusy / tickCapacity : 0, tickCapacity > 0 ? tickWithWork / tickCapacity : 0, control.Nodes.OldestBootingSeconds(At(t)));
                var step = control.Decide(o);
                var target = step.Servers(s.CoresPerNode);
                if (step.Threads != workers || step.Request > 0 || step.Release.Count > 0)
                {
                    actions++;
                    if (lastTarget is { } lt && target != lt && IsFlat(trace, t)) flatActions++;
                }

                workers = step.Threads;
                for (var i = 0; i < step.Request; i++) control.Nodes.OnRequested(provider.Request(t));
                foreach (var id in step.Release)
                {
                    provider.Release(id);
                    control.Nodes.OnReleasing(id);
                }

                lastTarget = target;
                lastTick = t + 1;
                tickArrivals = tickServed = tickBusy = tickCapacity = tickWithWork = 0;
            }
        }

        return new SimulationResult(law.Name, trace.Name, overTarget, peak, coreSeconds, actions, flatActions, arrived, served, queue, control.Nodes.Requested, provider.Failed)
        {
            Series = series,
        };
    }

    /// <summary>The simulation's virtual clock: second <paramref name="t"/> of the trace.</summary>
    private static DateTimeOffset At(double t) => DateTimeOffset.UnixEpoch.AddSeconds(t);

    /// <summary>True when the trace's rate has not changed over the last 10 minutes (flat load: actions there are oscillation).</summary>
    private static bool IsFlat(ArrivalTrace trace, int t)
    {
        if (t < 900) return false;
        var r = trace.Rate(t);
        for (var k = 0; k <= 600; k += 30)
        {
            if (Math.Abs(trace.Rate(t - k) - r) > 1e-9) return false;
        }

        return true;
    }

    /// <summary>
    /// A node provider on the virtual clock: each request draws its boot delay and whether it will fail. A node that
    /// ended is listed once more (gone or failed), as the real providers do, then forgotten.
    /// </summary>
    private sealed class SimulatedNodes(SimulationSettings s)
    {
        private readonly Random _rng = new(s.Seed + 2);
        private readonly List<Node> _nodes = [];
        private int _next;

        public int Failed { get; private set; }

        public int ReadyCores => _nodes.Count(n => n.State == NodeState.Ready) * s.CoresPerNode;

        public int RequestedCores => _nodes.Count(n => n.State is NodeState.Ready or NodeState.Booting) * s.CoresPerNode;

        public void Advance(double now)
        {
            foreach (var node in _nodes.Where(n => n.State == NodeState.Booting && n.ReadyAt <= now))
            {
                node.State = node.WillFail ? NodeState.Failed : NodeState.Ready;
                if (node.WillFail) Failed++;
            }
        }

        public string Request(double now)
        {
            var boot = Math.Max(10, RandomDraws.Normal(_rng, s.BootMeanSeconds, s.BootSdSeconds));
            var node = new Node($"sim-{_next++}", now, now + boot, _rng.NextDouble() < s.FailProbability);
            _nodes.Add(node);
            return node.Id;
        }

        /// <summary>In the simulation a drained node has finished its work at the next step: it leaves the pool at once.</summary>
        public void Release(string id)
        {
            foreach (var n in _nodes.Where(n => n.Id == id)) n.State = NodeState.Gone;
        }

        public List<NodeInfo> List()
        {
            var list = _nodes.Select(n => new NodeInfo(n.Id, n.State, s.CoresPerNode, At(n.RequestedAt))).ToList();
            _nodes.RemoveAll(n => n.State is NodeState.Failed or NodeState.Gone);
            return list;
        }

        private sealed class Node(string id, double requestedAt, double readyAt, bool willFail)
        {
            public string Id { get; } = id;

            public double RequestedAt { get; } = requestedAt;

            public double ReadyAt { get; } = readyAt;

            public bool WillFail { get; } = willFail;

            public NodeState State { get; set; } = NodeState.Booting;
        }
    }
}

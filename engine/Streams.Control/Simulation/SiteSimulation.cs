using Streams.Control.Laws;
using Streams.Control.Live;
using Streams.Control.Nodes;
using Streams.Control.Sites;

namespace Streams.Control.Simulation;

/// <summary>The stage and the sites of a multi-site simulation.</summary>
public sealed record SiteSimulationSettings
{
    public required IReadOnlyList<SiteSpec> Sites { get; init; }

    public IReadOnlyList<SiteOutage> Outages { get; init; } = [];

    public SiteTruth Truth { get; init; } = new();

    /// <summary>Events/s one server completes.</summary>
    public double Mu { get; init; } = 100;

    /// <summary>Worker threads this process runs (instant, free).</summary>
    public int LocalWorkers { get; init; } = 8;

    public double QueueTarget { get; init; } = 5000;

    public double IntervalSeconds { get; init; } = 5;

    /// <summary>The queue-model law's boot-seconds.</summary>
    public double BootSeconds { get; init; } = 120;

    public int Seed { get; init; } = 1;

    /// <summary>The deadline the placement is given while the queue does not grow: the controller asks for a node then because it expects to need it about this soon.</summary>
    public double IdleDeadlineSeconds { get; init; } = 120;

    /// <summary>Nodes the controller may want: every site's quota.</summary>
    public int MaxNodes => Sites.Sum(s => s.MaxNodes);

    public int CoresPerNode => Sites.Min(s => s.CoresPerNode);

    public ControlBounds Bounds => new(1, LocalWorkers + (MaxNodes * CoresPerNode));
}

/// <summary>What one placement policy did on one trace.</summary>
public sealed record SiteSimulationResult(
    string Policy, string Trace, int Seed, double TimeOverTargetSeconds, double PeakQueue, double CoreSeconds, double Cost, double NodeHours,
    int LostToWalltime, int RequestsAtFailedSite, int NodesRequested, int NodesFailed, double FinalQueue)
{
    /// <summary>The <c>"sites"</c> summary at the end of the run.</summary>
    public required object Sites { get; init; }
}

/// <summary>
/// The stage of <see cref="StageSimulation"/> (virtual clock, 1 s steps, seeded Poisson arrivals and service, the
/// queue-model law deciding through <see cref="StageControl"/>) fed by nodes from several <see cref="SimulatedSite"/>s
/// behind a <see cref="MultiSiteProvider"/> whose placement policy is the one compared: every policy sees the same
/// arrivals and the same sites (join times, failures, walltimes, outages drawn from the same seeds). The provider is
/// told the deadline: when the queue would pass its target at its growth over the last interval.
/// Core-seconds count local workers and each node from request to end; cost is node-hours x the site's cost weight.
/// </summary>
public static class SiteSimulation
{
    public static async Task<SiteSimulationResult> RunAsync(ISitePolicy policy, ArrivalTrace trace, SiteSimulationSettings s, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(s);
        var clock = new VirtualClock();
        var sites = s.Sites.Select((spec, i) => new SimulatedSite(spec, clock, s.Truth, s.Outages, (s.Seed * 7919) + i)).ToList();
        var guards = new NodeGuards { CallTimeoutSeconds = 30, JoinTimeoutSeconds = 900, BreakerCooldownSeconds = 300 };
        using var provider = new MultiSiteProvider([.. sites.Select(x => new SiteProvider(x.Spec, x))], guards, clock, policy,
            new SiteHealthSettings { HalfLifeSeconds = 300, ProbeIntervalSeconds = 2 * s.IntervalSeconds }) { MigrationMarginSeconds = 2 * s.IntervalSeconds };
        var law = ControlLaws.Create(ControlLaws.QueueModel, s.Bounds, new Dictionary<string, string>
        {
            ["queue-target"] = s.QueueTarget.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["boot-seconds"] = s.BootSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var control = new StageControl("simulated", law, new CapacityShape(1, s.LocalWorkers, s.CoresPerNode, 0, s.MaxNodes));
        var arrivalsRng = new Random(s.Seed);
        var serviceRng = new Random(s.Seed + 1);
        double queue = 0, coreSeconds = 0, overTarget = 0, peak = 0, lastQueue = 0, deadline = double.PositiveInfinity;
        provider.Deadline = () => deadline;
        provider.Log = log is null ? null : m => log(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"t={clock.Seconds:0} queue={queue:0}: {m}"));
        var workers = 1;
        double tickArrivals = 0, tickServed = 0, tickBusy = 0, tickCapacity = 0, tickWithWork = 0, lastTick = 0;
        var n = (int)trace.DurationSeconds;
        for (var t = 0; t < n; t++)
        {
            clock.Set(t);
            foreach (var site in sites) site.Advance();
            var ready = workers + sites.Sum(x => x.ServingCores);
            var a = (double)RandomDraws.Poisson(arrivalsRng, trace.Rate(t));
            var capacity = (double)RandomDraws.Poisson(serviceRng, ready * s.Mu);
            var done = Math.Min(queue + a, capacity);
            var hadWork = queue + a > 0;
            queue += a - done;
            tickArrivals += a;
            tickServed += done;
            tickBusy += done / s.Mu;
            tickCapacity += ready;
            tickWithWork += hadWork ? (queue > 0 ? ready : Math.Min(ready, done / s.Mu)) : 0;
            coreSeconds += workers + sites.Sum(x => x.HeldCores);
            if (queue > s.QueueTarget) overTarget++;
            peak = Math.Max(peak, queue);
            if (t + 1 - lastTick < s.IntervalSeconds) continue;

            var dt = t + 1 - lastTick;
            clock.Set(t + 1);
            var growth = (queue - lastQueue) / dt;
            deadline = queue >= s.QueueTarget ? 0 : growth > 0 ? (s.QueueTarget - queue) / growth : s.IdleDeadlineSeconds;
            lastQueue = queue;
            control.Nodes.Observe(await provider.ListAsync().ConfigureAwait(false));
            var pending = control.Nodes.Count(NodeState.Booting) * s.CoresPerNode;
            var o = new ControlObservation(t + 1, dt, queue, tickArrivals / dt, tickBusy > 0 ? tickServed / tickBusy : double.NaN, ready, pending,
                tickCapacity > 0 ? tickBusy / tickCapacity : 0, tickCapacity > 0 ? tickWithWork / tickCapacity : 0, control.Nodes.OldestBootingSeconds(clock.GetUtcNow()));
            var step = control.Decide(o);
            workers = step.Threads;
            for (var i = 0; i < step.Request; i++)
            {
                try
                {
                    control.Nodes.OnRequested(await provider.RequestAsync().ConfigureAwait(false));
                }
                catch (InvalidOperationException)
                {
                    break; // no site takes a node now
                }
            }

            foreach (var id in ReleaseOrder(policy, provider, control.Nodes.Pool, step.Release))
            {
                try
                {
                    await provider.ReleaseAsync(id, drain: true).ConfigureAwait(false);
                    control.Nodes.OnReleasing(id);
                }
                catch (InvalidOperationException)
                {
                    // its site is out: asked again next tick
                }
            }

            lastTick = t + 1;
            tickArrivals = tickServed = tickBusy = tickCapacity = tickWithWork = 0;
        }

        return new SiteSimulationResult(policy.Name, trace.Name, s.Seed, overTarget, peak, coreSeconds, sites.Sum(x => x.Cost), sites.Sum(x => x.NodeHours),
            provider.LostToWalltime, sites.Sum(x => x.RequestsDuringOutage), control.Nodes.Requested, provider.Sites.Sum(b => b.Failed), queue)
        {
            Sites = provider.Summary(),
        };
    }

    /// <summary>The nodes to release: the law's choice, or for the matcher as many in its order (booting first, costliest, least healthy).</summary>
    private static IReadOnlyList<string> ReleaseOrder(ISitePolicy policy, MultiSiteProvider provider, IReadOnlyList<NodeInfo> pool, IReadOnlyList<string> planned)
    {
        if (policy is not SiteMatcher || planned.Count == 0) return planned;
        var books = provider.Sites.ToDictionary(b => b.Name, StringComparer.Ordinal);
        var live = pool.Where(x => x.State is NodeState.Booting or NodeState.Ready)
            .Select(x => (x.Id, Site: books[x.Id[..x.Id.IndexOf('/', StringComparison.Ordinal)]], Node: x));
        return [.. SiteMatcher.ReleaseOrder(live).Take(planned.Count)];
    }
}

using Streams.Control.Laws;

namespace Streams.Control.Live;

/// <summary>
/// One node pipeline as a control process sees it: from the load balancer's Status (slots, fill, whether it reports)
/// and, when its metrics endpoint answers, from its own counters (events in the node, events done).
/// </summary>
/// <param name="Name">Its member name at the load balancer (the node provider's name for it).</param>
/// <param name="Ready">It reports to the load balancer and is ready for data.</param>
/// <param name="Slots">Calendar slots it has now (0: it gets no events).</param>
/// <param name="Fill">Fill of the queue its receiver feeds, in [0,1].</param>
/// <param name="Received">Events its receiver took in (the load balancer's copy of its counters).</param>
/// <param name="Dequeued">Events its receiver handed to its pipeline (same).</param>
/// <param name="InFlight">Events in the node not yet done (<c>streams_events_in_flight</c>); null without its metrics.</param>
/// <param name="Processed">Events it finished (<c>streams_events_processed_total</c>); null without its metrics.</param>
public readonly record struct MemberReading(string Name, bool Ready, int Slots, double Fill, long Received, long Dequeued, long? InFlight = null, long? Processed = null)
{
    /// <summary>Events it finished: its own count, else what its receiver handed on (an upper bound).</summary>
    public long Done => Processed ?? Dequeued;

    /// <summary>Events waiting in it: its own count, else what its receiver took and has not handed on.</summary>
    public long Waiting => InFlight ?? Math.Max(0, Received - Dequeued);
}

/// <summary>The node pipelines behind a load balancer at one moment.</summary>
/// <param name="Time">Seconds since the control process started.</param>
/// <param name="Members">Every member the load balancer lists.</param>
public sealed record PoolReading(double Time, IReadOnlyList<MemberReading> Members)
{
    /// <summary>The member named <paramref name="name"/>, if the load balancer lists it.</summary>
    public MemberReading? Member(string name) => Members.FirstOrDefault(m => m.Name == name) is { Name: not null } m ? m : null;
}

/// <summary>
/// Measurement of a pool of node pipelines, as <see cref="StageMeter.Remote"/> measures a stage on workers: queue =
/// events waiting in the nodes, served = events they finished over the interval (per member, so a node that joins or
/// leaves does not jump the sums), arrivals = served + the growth of the queue, servers = cores of the members that
/// are ready and have slots. The per-server service rate is the prior until the nodes are saturated (their receivers'
/// queues are filling), then what they did.
/// </summary>
/// <param name="priorServiceRate">Events/s one server (core) does before any is measured (control.service-rate).</param>
/// <param name="coresPerNode">Servers one node adds (control.node-cores).</param>
/// <param name="saturatedFill">Mean receiver fill from which the nodes count as saturated.</param>
public sealed class NodePoolMeter(double priorServiceRate, int coresPerNode, double saturatedFill = 0.05)
{
    private PoolReading? _last;

    /// <summary>Per-server service rate: the prior, then the last saturated measurement.</summary>
    public double ServiceRate { get; private set; } = priorServiceRate;

    /// <summary>Nodes that serve now: ready, with slots.</summary>
    public static int Serving(PoolReading r) => r?.Members.Count(m => m.Ready && m.Slots > 0) ?? 0;

    /// <summary>The observation over the interval since the last reading; null for the first one (it sets the baseline) or a stale one.</summary>
    public ControlObservation? Observe(PoolReading r, int pendingServers, double pendingAgeSeconds)
    {
        ArgumentNullException.ThrowIfNull(r);
        var last = _last;
        if (last is not null && r.Time <= last.Time) return null;
        _last = r;
        if (last is null) return null;
        var dt = r.Time - last.Time;
        long served = 0;
        foreach (var m in r.Members)
        {
            // A member new since the last reading started from zero.
            var before = last.Member(m.Name) is { } b ? b.Done : 0;
            served += Math.Max(0, m.Done - before);
        }

        double queue = r.Members.Sum(m => m.Waiting);
        double lastQueue = last.Members.Sum(m => m.Waiting);
        var arrivals = Math.Max(0, served + (queue - lastQueue));
        var nodes = Serving(r);
        var ready = nodes * coresPerNode;
        var fill = nodes > 0 ? r.Members.Where(m => m.Ready && m.Slots > 0).Average(m => m.Fill) : 0;
        if (ready > 0 && fill >= saturatedFill && served > 0) ServiceRate = served / (ready * dt);
        var utilisation = ready > 0 ? Math.Clamp(served / (ready * ServiceRate * dt), 0, 1) : 0;
        return new ControlObservation(r.Time, dt, queue, arrivals / dt, ServiceRate, ready, pendingServers, utilisation, fill >= saturatedFill ? 1 : utilisation, pendingAgeSeconds);
    }

    /// <summary>Keeps <paramref name="r"/> as the baseline when nothing can be decided (a provider that cannot be asked).</summary>
    public void Rebase(PoolReading r) => _last = r;
}

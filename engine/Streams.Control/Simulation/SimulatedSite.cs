using MathNet.Numerics.Distributions;
using Streams.Control.Nodes;
using Streams.Control.Sites;

namespace Streams.Control.Simulation;

/// <summary>How a simulated site's nodes really behave (the boot prior is the site's belief; this is the truth).</summary>
public sealed record SiteTruth
{
    /// <summary>Share of joins that take <see cref="TailFactor"/> times longer (a long tail: a busy queue, a slow image pull).</summary>
    public double TailProbability { get; init; } = 0.1;

    public double TailFactor { get; init; } = 3;

    /// <summary>Probability that a node never becomes ready (found failed when it was due).</summary>
    public double FailProbability { get; init; } = 0.05;

    /// <summary>True join times are the prior's, times this (a prior that is wrong).</summary>
    public double JoinScale { get; init; } = 1;
}

/// <summary>
/// One site on the virtual clock, as a node provider: each request draws its join time from a log-normal through the
/// site's p50/p90 (with a long tail), some nodes fail, a ready node ends at its walltime, and during an outage every
/// call fails and nodes due to join then never join (failed when the outage ends). Requests beyond the quota or the
/// budget are refused. Every call completes at once.
/// </summary>
public sealed class SimulatedSite : INodeProvider
{
    private readonly VirtualClock _clock;
    private readonly SiteTruth _truth;
    private readonly IReadOnlyList<SiteOutage> _outages;
    private readonly Random _rng;
    private readonly List<Node> _nodes = [];
    private readonly LogNormal _joins;
    private double _closedSeconds;
    private int _next;

    public SimulatedSite(SiteSpec spec, VirtualClock clock, SiteTruth truth, IReadOnlyList<SiteOutage> outages, int seed)
    {
        Spec = spec ?? throw new ArgumentNullException(nameof(spec));
        _clock = clock;
        _truth = truth;
        _outages = outages;
        _rng = new Random(seed);
        var mu = Math.Log(spec.Boot.P50Seconds * truth.JoinScale);
        var sigma = Math.Max(0.05, (Math.Log(spec.Boot.P90Seconds) - Math.Log(spec.Boot.P50Seconds)) / 1.2815515655446004);
        _joins = new LogNormal(mu, sigma, _rng);
    }

    public SiteSpec Spec { get; }

    public string Name => Spec.Name;

    public int CoresPerNode => Spec.CoresPerNode;

    /// <summary>Requests that came while the site was out.</summary>
    public int RequestsDuringOutage { get; private set; }

    /// <summary>Ready nodes that ended at their walltime.</summary>
    public int WalltimeEnds { get; private set; }

    public bool Out(double t) => _outages.Any(o => o.Covers(Name, t));

    /// <summary>Cores of nodes that serve (ready, not released), up to what the site's bandwidth share carries.</summary>
    public int ServingCores => Math.Min(_nodes.Count(n => n.State == NodeState.Ready), Spec.BandwidthNodes) * Spec.CoresPerNode;

    /// <summary>Cores of nodes asked for and not ended (they cost from request to end).</summary>
    public int HeldCores => _nodes.Count(n => n.State is NodeState.Booting or NodeState.Ready) * Spec.CoresPerNode;

    /// <summary>Node-hours run (join to end).</summary>
    public double NodeHours => (_closedSeconds + _nodes.Where(n => n.State == NodeState.Ready).Sum(n => _clock.Seconds - n.JoinedAt)) / 3600;

    public double Cost => NodeHours * Spec.CostWeight;

    /// <summary>Moves the site to the clock's time: joins, failures, walltime ends.</summary>
    public void Advance()
    {
        var now = _clock.Seconds;
        foreach (var n in _nodes)
        {
            if (n.State == NodeState.Booting && n.DueAt <= now)
            {
                if (Out(n.DueAt))
                {
                    if (!Out(now)) n.State = NodeState.Failed; // never joined; seen when the site answers again
                }
                else if (n.WillFail)
                {
                    n.State = NodeState.Failed;
                }
                else
                {
                    n.State = NodeState.Ready;
                    n.JoinedAt = n.DueAt;
                }
            }

            if (n.State == NodeState.Ready && Spec.WalltimeSeconds is { } wall && now - n.JoinedAt >= wall)
            {
                End(n, n.JoinedAt + wall);
                WalltimeEnds++;
            }
        }
    }

    public Task<string> RequestAsync(CancellationToken cancel = default)
    {
        var now = _clock.Seconds;
        if (Out(now))
        {
            RequestsDuringOutage++;
            throw new InvalidOperationException($"{Name}: not answering (outage)");
        }

        if (_nodes.Count(n => n.State is NodeState.Booting or NodeState.Ready) >= Spec.MaxNodes) throw new InvalidOperationException($"{Name}: quota full");
        if (Spec.BudgetNodeHours is { } b && NodeHours >= b) throw new InvalidOperationException($"{Name}: allocation spent");
        var join = _joins.Sample() * (_rng.NextDouble() < _truth.TailProbability ? _truth.TailFactor : 1);
        var node = new Node($"{_next++}", now, now + Math.Max(1, join), _rng.NextDouble() < _truth.FailProbability);
        _nodes.Add(node);
        return Task.FromResult(node.Id);
    }

    public Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default)
    {
        if (Out(_clock.Seconds)) throw new InvalidOperationException($"{Name}: not answering (outage)");
        foreach (var n in _nodes.Where(n => n.Id == id && n.State is NodeState.Booting or NodeState.Ready)) End(n, _clock.Seconds);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancel = default)
    {
        if (Out(_clock.Seconds)) throw new InvalidOperationException($"{Name}: not answering (outage)");
        IReadOnlyList<NodeInfo> list = [.. _nodes.Select(n => new NodeInfo(n.Id, n.State, Spec.CoresPerNode, DateTimeOffset.UnixEpoch.AddSeconds(n.RequestedAt)))];
        _nodes.RemoveAll(n => n.State is NodeState.Gone or NodeState.Failed);
        return Task.FromResult(list);
    }

    private void End(Node n, double at)
    {
        if (n.State == NodeState.Ready) _closedSeconds += at - n.JoinedAt;
        n.State = NodeState.Gone;
    }

    private sealed class Node(string id, double requestedAt, double dueAt, bool willFail)
    {
        public string Id { get; } = id;

        public double RequestedAt { get; } = requestedAt;

        public double DueAt { get; } = dueAt;

        public bool WillFail { get; } = willFail;

        public double JoinedAt { get; set; }

        public NodeState State { get; set; } = NodeState.Booting;
    }
}

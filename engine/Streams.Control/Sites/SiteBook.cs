using Streams.Control.Nodes;

namespace Streams.Control.Sites;

/// <summary>
/// The facility manager's books on one site, on a <see cref="TimeProvider"/>: its nodes (when asked for, when joined,
/// when ended), the learned request-to-join time (<see cref="Joins"/>), the share of nodes that fail, never join or die
/// young, node-hours used against the budget, remaining quota, and <see cref="Health"/>. Fed by
/// <see cref="MultiSiteProvider"/> (or the simulation) from the site's requests and lists.
/// </summary>
public sealed class SiteBook
{
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private double _closedNodeSeconds;

    public SiteBook(SiteSpec spec, TimeProvider time, SiteHealthSettings? health = null, double youngSeconds = 60)
    {
        Spec = spec ?? throw new ArgumentNullException(nameof(spec));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        Joins = new JoinTimes(spec.Boot);
        Health = new SiteHealth(health ?? new SiteHealthSettings(), time);
        YoungSeconds = youngSeconds;
    }

    public SiteSpec Spec { get; }

    public string Name => Spec.Name;

    public JoinTimes Joins { get; }

    public SiteHealth Health { get; }

    /// <summary>A node that ends within this long of joining died young.</summary>
    public double YoungSeconds { get; }

    public int Requested { get; private set; }

    public int Joined { get; private set; }

    /// <summary>Nodes that failed, never joined or died young.</summary>
    public int Failed { get; private set; }

    public int Released { get; private set; }

    /// <summary>Requests that went to this site while it failed (the call threw or timed out).</summary>
    public int RequestsFailed { get; private set; }

    /// <summary>Ready nodes that reached their walltime while still counted as capacity.</summary>
    public int LostToWalltime { get; private set; }

    /// <summary>Nodes asked for that have not joined or ended.</summary>
    public int Pending => _nodes.Values.Count(n => n.JoinedAt is null && n.EndedAt is null);

    /// <summary>Nodes joined and not ended (ready or draining).</summary>
    public int Running => _nodes.Values.Count(n => n.JoinedAt is not null && n.EndedAt is null);

    /// <summary>Pending plus running.</summary>
    public int Live => Pending + Running;

    /// <summary>Share of nodes that went bad: bad / (bad + joined + 2), two good pseudo-nodes as the prior.</summary>
    public double BadFraction => Failed / (Failed + Joined + 2.0);

    /// <summary>Node-hours used: from join to end (or now).</summary>
    public double NodeHours
    {
        get
        {
            var now = _time.GetUtcNow();
            return (_closedNodeSeconds + _nodes.Values.Where(n => n.JoinedAt is not null && n.EndedAt is null).Sum(n => (now - n.JoinedAt!.Value).TotalSeconds)) / 3600;
        }
    }

    /// <summary>Node-hours left of the budget (infinite when none).</summary>
    public double BudgetLeft => Spec.BudgetNodeHours is { } b ? Math.Max(0, b - NodeHours) : double.PositiveInfinity;

    /// <summary>Nodes the quota (nodes, cores) and the bandwidth share still allow.</summary>
    public int QuotaLeft => Math.Max(0, Spec.MaxNodes - Live);

    /// <summary>When node <paramref name="id"/> joined (null: not joined, or unknown).</summary>
    public DateTimeOffset? JoinedAt(string id) => _nodes.TryGetValue(id, out var n) ? n.JoinedAt : null;

    /// <summary>Seconds node <paramref name="id"/> has left before its walltime (null: no walltime, or not joined).</summary>
    public double? RemainingSeconds(string id) =>
        Spec.WalltimeSeconds is { } wall && JoinedAt(id) is { } joined ? wall - (_time.GetUtcNow() - joined).TotalSeconds : null;

    public void OnRequested(string id)
    {
        Requested++;
        _nodes[id] = new Node(_time.GetUtcNow());
        Health.RequestSucceeded();
    }

    public void OnRequestFailed(string message)
    {
        RequestsFailed++;
        Health.CallFailed(message);
    }

    public void OnReleased(string id)
    {
        if (_nodes.TryGetValue(id, out var n) && !n.Released)
        {
            n.Released = true;
            Released++;
        }
    }

    /// <summary>A node booting when its site stopped answering, given up (asked for elsewhere): counted failed once.</summary>
    public void OnGivenUp(string id)
    {
        if (!_nodes.TryGetValue(id, out var n) || n.GivenUp || n.EndedAt is not null) return;
        n.GivenUp = true;
        Failed++;
    }

    /// <summary>A ready node reached its walltime while it still counted as capacity (not replaced ahead of time).</summary>
    public void OnLostToWalltime() => LostToWalltime++;

    /// <summary>Takes in the site provider's list (ids as the site knows them).</summary>
    public void OnListed(IReadOnlyList<NodeInfo> pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        Health.ListSucceeded();
        var now = _time.GetUtcNow();
        foreach (var info in pool)
        {
            if (!_nodes.TryGetValue(info.Id, out var n)) _nodes[info.Id] = n = new Node(info.RequestedAt) { Found = true };
            if (n.EndedAt is not null) continue;
            if (info.State is NodeState.Ready or NodeState.Draining && n.JoinedAt is null)
            {
                n.JoinedAt = now;
                Joined++;
                if (!n.Found) Joins.Add((now - n.RequestedAt).TotalSeconds); // a node found already running (asked for by an earlier run) says nothing of the wait
                Health.NodeJoined();
            }

            if (info.State is NodeState.Gone or NodeState.Failed) End(n, info.State == NodeState.Failed, now);
        }
    }

    /// <summary>Forgets nodes that ended long ago (their hours stay counted).</summary>
    public void Prune() => _nodes.Where(kv => kv.Value.EndedAt is { } e && (_time.GetUtcNow() - e).TotalSeconds > 3600).Select(kv => kv.Key).ToList().ForEach(k => _nodes.Remove(k));

    private void End(Node n, bool failed, DateTimeOffset now)
    {
        n.EndedAt = now;
        if (n.JoinedAt is { } joined) _closedNodeSeconds += (now - joined).TotalSeconds;
        if (n.GivenUp) return; // counted failed when given up
        var neverJoined = n.JoinedAt is null && !n.Released;
        var young = n.JoinedAt is { } j && !n.Released && (now - j).TotalSeconds < YoungSeconds;
        if (failed || neverJoined || young)
        {
            Failed++;
            Health.NodeBad();
            if (n.JoinedAt is null) Joins.AddNeverJoined((now - n.RequestedAt).TotalSeconds);
        }
    }

    private sealed class Node(DateTimeOffset requestedAt)
    {
        public DateTimeOffset RequestedAt { get; } = requestedAt;

        public DateTimeOffset? JoinedAt { get; set; }

        public DateTimeOffset? EndedAt { get; set; }

        public bool Released { get; set; }

        /// <summary>Given up while its site was down.</summary>
        public bool GivenUp { get; set; }

        /// <summary>Listed without having been asked for here.</summary>
        public bool Found { get; init; }
    }
}

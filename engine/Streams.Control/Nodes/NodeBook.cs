namespace Streams.Control.Nodes;

/// <summary>What <see cref="NodeBook.Observe"/> found new about a node since the last list.</summary>
public enum NodeNews
{
    /// <summary>Ready for the first time: its worker process joined.</summary>
    Joined,

    /// <summary>Failed (the site's fault or a worker that died).</summary>
    Failed,

    /// <summary>Draining without having been released: near its walltime or lifetime, it leaves on its own.</summary>
    Ending,
}

/// <summary>
/// The controller's books on the nodes of one stage: every node it has seen, with its last state and whether the
/// controller released it, and the run's counts (requested, joined, released, failed: the summary's <c>"nodes"</c>
/// section). The live controller and the simulation keep the same books.
/// </summary>
public sealed class NodeBook
{
    private readonly Dictionary<string, Entry> _nodes = new(StringComparer.Ordinal);

    public int Requested { get; private set; }

    /// <summary>Nodes that were ready at least once.</summary>
    public int Joined { get; private set; }

    /// <summary>Nodes the controller released (each counted once, however often the release was asked again).</summary>
    public int Released { get; private set; }

    public int Failed { get; private set; }

    /// <summary>Every node requested or listed in this run, with its state as last seen.</summary>
    public IReadOnlyList<(string Id, NodeState State, bool Joined)> Known => [.. _nodes.Select(kv => (kv.Key, kv.Value.State, kv.Value.Joined))];

    /// <summary>The pool as last listed.</summary>
    public IReadOnlyList<NodeInfo> Pool { get; private set; } = [];

    /// <summary>Nodes in <paramref name="state"/> as last listed.</summary>
    public int Count(NodeState state) => Pool.Count(n => n.State == state);

    /// <summary>Seconds since the oldest node still booting was asked for (0 when none).</summary>
    public double OldestBootingSeconds(DateTimeOffset now) =>
        Pool.Where(n => n.State == NodeState.Booting).Select(n => (now - n.RequestedAt).TotalSeconds).DefaultIfEmpty(0).Max();

    /// <summary>Takes in a provider's list; returns what is new (joined, failed, ending on its own), each once per node.</summary>
    public IReadOnlyList<(string Id, NodeNews News)> Observe(IReadOnlyList<NodeInfo> pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        Pool = pool;
        var news = new List<(string, NodeNews)>();
        foreach (var n in pool)
        {
            if (!_nodes.TryGetValue(n.Id, out var e)) _nodes[n.Id] = e = new Entry();
            e.State = n.State;
            if (n.State == NodeState.Ready && !e.Joined)
            {
                e.Joined = true;
                Joined++;
                news.Add((n.Id, NodeNews.Joined));
            }

            if (n.State == NodeState.Failed && !e.FailedSeen)
            {
                e.FailedSeen = true;
                Failed++;
                news.Add((n.Id, NodeNews.Failed));
            }

            if (n.State == NodeState.Draining && !e.Releasing && !e.EndingSeen)
            {
                e.EndingSeen = true;
                news.Add((n.Id, NodeNews.Ending));
            }
        }

        return news;
    }

    /// <summary>The controller asked for node <paramref name="id"/>.</summary>
    public void OnRequested(string id)
    {
        Requested++;
        _nodes[id] = new Entry { State = NodeState.Booting };
    }

    /// <summary>True once the controller released <paramref name="id"/>.</summary>
    public bool IsReleasing(string id) => _nodes.TryGetValue(id, out var e) && e.Releasing;

    /// <summary>The controller releases <paramref name="id"/>; true the first time (a release may be asked again while a guard defers it).</summary>
    public bool OnReleasing(string id)
    {
        if (!_nodes.TryGetValue(id, out var e)) _nodes[id] = e = new Entry();
        if (e.Releasing) return false;
        e.Releasing = true;
        Released++;
        return true;
    }

    private sealed class Entry
    {
        public NodeState State { get; set; }

        public bool Joined { get; set; }

        public bool FailedSeen { get; set; }

        public bool EndingSeen { get; set; }

        public bool Releasing { get; set; }
    }
}

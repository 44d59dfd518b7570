namespace Streams.Control.Nodes;

/// <summary>
/// Where a stage's servers come from: threads in this process (from <see cref="MinThreads"/> to <see cref="MaxThreads"/>)
/// first, whole nodes of <see cref="CoresPerNode"/> threads beyond that (from <see cref="MinNodes"/> to
/// <see cref="MaxNodes"/>). A stage in this process has no nodes; a stage on workers has no local threads.
/// </summary>
public sealed record CapacityShape(int MinThreads, int MaxThreads, int CoresPerNode, int MinNodes, int MaxNodes)
{
    /// <summary>Threads in this process only (a local stage).</summary>
    public static CapacityShape Threads(int min, int max) => new(min, max, 0, 0, 0);

    /// <summary>Whole nodes only (a stage placed on workers).</summary>
    public static CapacityShape Nodes(int coresPerNode, int minNodes, int maxNodes) => new(0, 0, coresPerNode, minNodes, maxNodes);

    public bool HasNodes => CoresPerNode > 0 && MaxNodes > 0;
}

/// <summary>How a demand in servers is met, and what to do to a node pool to get there.</summary>
public static class CapacitySplit
{
    /// <summary>Threads in this process and nodes wanted for <paramref name="demand"/> servers.</summary>
    public static (int Threads, int Nodes) Split(int demand, CapacityShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var threads = Math.Clamp(demand, shape.MinThreads, Math.Max(shape.MinThreads, shape.MaxThreads));
        if (!shape.HasNodes) return (threads, 0);
        var beyond = Math.Max(0, demand - shape.MaxThreads);
        var nodes = (beyond + shape.CoresPerNode - 1) / shape.CoresPerNode;
        return (threads, Math.Clamp(nodes, shape.MinNodes, Math.Max(shape.MinNodes, shape.MaxNodes)));
    }

    /// <summary>
    /// What to do to the pool to have <paramref name="wanted"/> nodes: how many to request, and which to release
    /// (booting ones first, newest first: they cost least to give up; then ready ones, newest first). Nodes booting count
    /// as on their way, so they are never requested twice.
    /// </summary>
    public static (int Request, IReadOnlyList<string> Release) Plan(int wanted, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var live = nodes.Where(n => n.State is NodeState.Booting or NodeState.Ready).ToList();
        if (wanted > live.Count) return (wanted - live.Count, []);
        var release = live.OrderBy(n => n.State == NodeState.Booting ? 0 : 1).ThenByDescending(n => n.RequestedAt)
            .Take(live.Count - wanted).Select(n => n.Id).ToList();
        return (0, release);
    }
}

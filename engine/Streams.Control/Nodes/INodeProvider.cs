namespace Streams.Control.Nodes;

/// <summary>Where a node is in its life (TARDIS: Booting = Request..Integrating, Ready = Available, Draining, Gone = Down).</summary>
public enum NodeState
{
    Booting,
    Ready,
    Draining,
    Gone,
    Failed,
}

/// <summary>One node as its provider reports it.</summary>
public sealed record NodeInfo(string Id, NodeState State, int Cores, double RequestedAt);

/// <summary>
/// Where extra nodes come from (local worker processes, SLURM pilot jobs, Kubernetes on JRM nodes): the controller asks
/// for nodes, releases them (draining first), and lists them with their states. Calls may block briefly (sbatch, squeue).
/// </summary>
public interface INodeProvider
{
    string Name { get; }

    /// <summary>Servers (worker threads) one node adds.</summary>
    int CoresPerNode { get; }

    /// <summary>Requests one node; returns its id.</summary>
    string Request();

    /// <summary>Releases a node; with <paramref name="drain"/> it finishes the work it holds first.</summary>
    void Release(string id, bool drain);

    IReadOnlyList<NodeInfo> List();
}

/// <summary>How a demand in servers is met: worker threads in this process first, whole nodes beyond that.</summary>
public static class CapacitySplit
{
    /// <summary>Workers in this process and nodes wanted for <paramref name="demand"/> servers.</summary>
    public static (int Workers, int Nodes) Split(int demand, int localMax, int coresPerNode)
    {
        var workers = Math.Clamp(demand, 1, Math.Max(1, localMax));
        var beyond = Math.Max(0, demand - localMax);
        var nodes = coresPerNode <= 0 ? 0 : (beyond + coresPerNode - 1) / coresPerNode;
        return (workers, nodes);
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

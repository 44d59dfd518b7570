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
/// <param name="Id">The provider's id of the node (a job id, a Job name, a local name).</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="Cores">Threads its worker process runs.</param>
/// <param name="RequestedAt">When it was asked for (on the provider's <see cref="TimeProvider"/>).</param>
public sealed record NodeInfo(string Id, NodeState State, int Cores, DateTimeOffset RequestedAt);

/// <summary>The calls a node provider answers, for timeouts and for saying what the controller waits for.</summary>
public enum NodeCall
{
    Request,
    Release,
    List,
}

/// <summary>
/// Where extra nodes come from (local worker processes, SLURM pilot jobs, Kubernetes on JRM nodes): the controller asks
/// for nodes, releases them (draining first), and lists them with their states. Every call may take a while (sbatch,
/// squeue, an API server) and honours its <see cref="CancellationToken"/>; <see cref="GuardedProvider"/> puts a time
/// limit on each. The controller calls them from its own loop, one at a time, never from the pipeline's sampler.
/// </summary>
public interface INodeProvider
{
    string Name { get; }

    /// <summary>Servers (worker threads) one node adds.</summary>
    int CoresPerNode { get; }

    /// <summary>Requests one node; returns its id.</summary>
    Task<string> RequestAsync(CancellationToken cancel = default);

    /// <summary>Releases a node; with <paramref name="drain"/> it finishes the work it holds first.</summary>
    Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default);

    /// <summary>Every node this provider knows of, with its state; a node that ended is listed once more as gone or failed.</summary>
    Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancel = default);

    /// <summary>What <paramref name="operation"/> runs, in the provider's words (squeue, sbatch): for "waiting for" messages.</summary>
    string Describe(NodeCall operation) => operation.ToString().ToLowerInvariant();
}

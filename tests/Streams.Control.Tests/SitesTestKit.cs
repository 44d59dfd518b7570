using Streams.Control.Nodes;

namespace Streams.Control.Tests;

/// <summary>A site's node provider for the sites tests: nodes by state, set by the test; it can fail or hang.</summary>
internal sealed class FakeSiteNodes(string name, int cores = 16) : INodeProvider
{
    private int _next;

    public Dictionary<string, NodeState> States { get; } = [];

    public List<(string Id, bool Drain)> Released { get; } = [];

    public int Requests { get; private set; }

    /// <summary>Every call throws (the site's batch system is down).</summary>
    public bool Failing { get; set; }

    /// <summary>When set, every call waits for it (a site that hangs).</summary>
    public TaskCompletionSource? Hang { get; set; }

    public string Name => name;

    public int CoresPerNode => cores;

    public async Task<string> RequestAsync(CancellationToken cancel = default)
    {
        await Gate(cancel);
        Requests++;
        var id = $"{++_next}";
        States[id] = NodeState.Booting;
        return id;
    }

    public async Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default)
    {
        await Gate(cancel);
        Released.Add((id, drain));
        States[id] = NodeState.Gone;
    }

    public async Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancel = default)
    {
        await Gate(cancel);
        var list = States.Select(kv => new NodeInfo(kv.Key, kv.Value, cores, DateTimeOffset.UnixEpoch)).ToList();
        foreach (var gone in States.Where(kv => kv.Value is NodeState.Gone or NodeState.Failed).Select(kv => kv.Key).ToList()) States.Remove(gone);
        return list;
    }

    private async Task Gate(CancellationToken cancel)
    {
        if (Hang is { } h) await h.Task.WaitAsync(cancel);
        if (Failing) throw new InvalidOperationException($"{name}: sbatch: error: Unable to contact slurm controller");
    }
}

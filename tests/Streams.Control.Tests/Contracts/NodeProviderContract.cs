using Microsoft.Extensions.Time.Testing;
using Streams.Control.Nodes;
using Streams.TestKit;

namespace Streams.Control.Tests.Contracts;

/// <summary>
/// What every node provider does, run over each of them (local processes, SLURM with a stand-in scheduler, Kubernetes
/// with a stand-in API server): a node requested is booting, ready once its worker process joined, draining once released
/// with drain, gone when its worker left; failed when its worker dies; and one that never joins is released by the guard
/// and counted against the site. Each subclass plays the site: what the worker and the scheduler do.
/// </summary>
public abstract class NodeProviderContract : IDisposable
{
    /// <summary>The provider under test (made once per test).</summary>
    protected abstract INodeProvider Provider { get; }

    /// <summary>The node's worker process starts and joins the coordinator under the name the provider gave it.</summary>
    protected abstract Task JoinAsync(string id);

    /// <summary>The node's worker process dies (exits non-zero; the job or pod fails).</summary>
    protected abstract Task DieAsync(string id);

    /// <summary>The node's worker, asked to drain, has finished its batches and leaves (exits 0).</summary>
    protected abstract Task LeaveAsync(string id);

    [Fact]
    public async Task A_node_boots_is_ready_once_its_worker_joined_drains_on_release_and_is_gone_when_it_left()
    {
        var id = await Provider.RequestAsync();
        Assert.Equal(NodeState.Booting, await StateOf(id));
        Assert.Equal(NodeState.Booting, await StateOf(id)); // not ready on its own: only once it joined
        await JoinAsync(id);
        await Until(id, s => s == NodeState.Ready, "ready once its worker joined");
        await Provider.ReleaseAsync(id, drain: true);
        await Until(id, s => s == NodeState.Draining, "draining once released with drain");
        Assert.Equal(NodeState.Draining, await StateOf(id)); // it drains until its worker leaves
        await LeaveAsync(id);
        await Until(id, s => s == NodeState.Gone, "gone once its worker left");
    }

    [Fact]
    public async Task A_node_whose_worker_dies_is_failed()
    {
        var id = await Provider.RequestAsync();
        await JoinAsync(id);
        await Until(id, s => s == NodeState.Ready, "ready once its worker joined");
        await DieAsync(id);
        await Until(id, s => s == NodeState.Failed, "failed once its worker died");
    }

    [Fact]
    public async Task A_node_that_never_joins_is_released_by_the_guard_and_counted_against_the_site()
    {
        var time = new FakeTimeProvider();
        var guard = new GuardedProvider(Provider, new NodeGuards { JoinTimeoutSeconds = 300 }, time);
        var id = await guard.RequestAsync();
        time.Advance(TimeSpan.FromSeconds(299));
        Assert.Equal(NodeState.Booting, (await guard.ListAsync()).Single(n => n.Id == id).State);
        Assert.Equal(0, guard.BadEnds);
        time.Advance(TimeSpan.FromSeconds(2));
        await guard.ListAsync(); // past the join timeout: released, counted
        Assert.Equal(1, guard.BadEnds);
        await Until(id, s => s is not (NodeState.Booting or NodeState.Ready), "no longer booting once the guard released it");
    }

    [Fact]
    public async Task Each_request_is_a_node_of_its_own_with_the_provider_s_cores()
    {
        var a = await Provider.RequestAsync();
        var b = await Provider.RequestAsync();
        Assert.NotEqual(a, b);
        var listed = await Provider.ListAsync();
        Assert.All(listed.Where(n => n.Id == a || n.Id == b), n => Assert.Equal(Provider.CoresPerNode, n.Cores));
        Assert.Equal(2, listed.Count(n => n.Id == a || n.Id == b));
    }

    /// <summary>The node's state as the provider lists it now (null: not listed).</summary>
    protected async Task<NodeState?> StateOf(string id) => (await Provider.ListAsync()).FirstOrDefault(n => n.Id == id)?.State;

    /// <summary>Waits until the provider lists node <paramref name="id"/> in a state that satisfies <paramref name="holds"/> (not listed counts as gone).</summary>
    protected Task Until(string id, Func<NodeState, bool> holds, string what) =>
        Eventually.Until(() => holds(StateOf(id).GetAwaiter().GetResult() ?? NodeState.Gone), $"{Provider.Name}: node {id} {what}");

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing) (Provider as IDisposable)?.Dispose();
    }
}

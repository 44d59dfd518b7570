using Streams.Control.Laws;
using Streams.Control.Nodes;

namespace Streams.Control.Live;

/// <summary>
/// One node step for one controlled stage, the same whether the nodes are worker processes joining a coordinator
/// (<see cref="ControllerHost"/>) or node pipelines behind a load balancer (<see cref="ElasticNodesHost"/>): list the
/// provider's pool, book it, measure, decide, request or release (with drain). Provider calls run one at a time and
/// are remembered as outstanding while they run (<see cref="WaitingFor"/>), so the caller can say what it waits for.
/// </summary>
public sealed class NodeStepper(INodeProvider nodes, ControlPublisher publish, TimeProvider time)
{
    private volatile Outstanding? _outstanding;

    public INodeProvider Nodes { get; } = nodes ?? throw new ArgumentNullException(nameof(nodes));

    /// <summary>The provider call outstanding now, and since when; null when none.</summary>
    public (NodeCall Call, DateTimeOffset Since)? WaitingFor => _outstanding is { } o ? (o.Call, o.Since) : null;

    /// <summary>Says each tick what the step waits for (or that it waits for nothing), as a metric and now and then a log line.</summary>
    public void PublishWaiting(bool stepRunning)
    {
        var clock = time.GetTimestamp() / (double)time.TimestampFrequency;
        if (!stepRunning)
        {
            publish.Waiting(Nodes.Name, null, 0, clock);
            return;
        }

        var o = _outstanding;
        publish.Waiting(Nodes.Name, o is null ? "its answer" : Nodes.Describe(o.Call), o is null ? 0 : (time.GetUtcNow() - o.Since).TotalSeconds, clock);
    }

    /// <summary>
    /// The step for <paramref name="control"/>: <paramref name="observe"/> measures the stage given the servers on their
    /// way (booting nodes) and the age of the oldest (null: nothing to decide this time); <paramref name="hold"/> is
    /// called instead when the provider cannot list its nodes (the measurement keeps its baseline).
    /// </summary>
    public async Task StepAsync(StageControl control, Func<int, double, ControlObservation?> observe, Action hold, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(observe);
        ArgumentNullException.ThrowIfNull(hold);
        var name = control.Stage;
        var clock = time.GetTimestamp() / (double)time.TimestampFrequency;
        var book = control.Nodes;
        try
        {
            foreach (var (id, news) in book.Observe(await Call(NodeCall.List, Nodes.ListAsync, cancel).ConfigureAwait(false))) Tell(name, id, news);
        }
        catch (Exception e) when (IsProviderError(e))
        {
            // The provider cannot be asked (squeue down or hanging, SLURM_CONF unset): hold.
            publish.ProviderError(name, Nodes.Name, clock, $"cannot list its nodes, holding: {e.Message.Split('\n')[0]}");
            hold();
            return;
        }

        publish.Pool(Nodes.Name, book.Count);
        var pending = book.Count(NodeState.Booting) * Nodes.CoresPerNode;
        if (observe(pending, book.OldestBootingSeconds(time.GetUtcNow())) is not { } o) return;
        var step = control.Decide(o);
        publish.Decision(control, o, step.Decision, o.Ready, step.Request > 0 ? "up" : step.Release.Count > 0 ? "down" : "hold");
        try
        {
            for (var i = 0; i < step.Request; i++)
            {
                var id = await Call(NodeCall.Request, Nodes.RequestAsync, cancel).ConfigureAwait(false);
                book.OnRequested(id);
                publish.Info($"{name}: requested node {id} from {Nodes.Name} ({control.Law.Name}: {step.Decision.Reason})");
            }

            foreach (var id in step.Release)
            {
                // Asked again each tick: a guard may defer it (minimum lifetime).
                await Call(NodeCall.Release, c => Released(Nodes.ReleaseAsync(id, drain: true, c)), cancel).ConfigureAwait(false);
                if (book.OnReleasing(id)) publish.Info($"{name}: releasing node {id} with drain ({control.Law.Name}: {step.Decision.Reason})");
            }
        }
        catch (Exception e) when (IsProviderError(e))
        {
            publish.ProviderError(name, Nodes.Name, clock, $"{e.Message.Split('\n')[0]} (retrying every tick)");
        }
    }

    /// <summary>Runs one provider call, remembered as outstanding while it runs.</summary>
    public async Task<T> Call<T>(NodeCall call, Func<CancellationToken, Task<T>> run, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(run);
        _outstanding = new Outstanding(call, time.GetUtcNow());
        try
        {
            return await run(cancel).ConfigureAwait(false);
        }
        finally
        {
            _outstanding = null;
        }
    }

    /// <summary>Errors that are the provider's (a command failed, timed out, an API server refused): logged and retried, not a crash.</summary>
    public static bool IsProviderError(Exception e) =>
        e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception or IOException or HttpRequestException || e?.GetType().Name == "HttpOperationException";

    private static async Task<bool> Released(Task release)
    {
        await release.ConfigureAwait(false);
        return true;
    }

    private void Tell(string stage, string id, NodeNews news)
    {
        switch (news)
        {
            case NodeNews.Failed:
                publish.Warn($"{stage}: node {id} failed");
                break;
            case NodeNews.Ending:
                publish.Info($"{stage}: node {id} is near its end (walltime or lifetime) and drains on its own; it no longer counts as capacity, so a replacement is requested now if needed");
                break;
        }
    }

    private sealed record Outstanding(NodeCall Call, DateTimeOffset Since);
}

using Streams.Control.Nodes;
using Streams.Engine.Runtime;

namespace Streams.Control.Live;

/// <summary>The controller's node step: stages on workers, sized in whole nodes from the node provider.</summary>
public sealed partial class ControllerHost
{
    private readonly IRemoteStages? _remote;
    private readonly INodeProvider? _nodes;
    private Task _nodeStep = Task.CompletedTask;
    private volatile Outstanding? _outstanding;

    /// <summary>The provider call the controller waits for now, and since when; null when none.</summary>
    public (NodeCall Call, DateTimeOffset Since)? WaitingFor => _outstanding is { } o ? (o.Call, o.Since) : null;

    /// <summary>Starts a node step, or, while the last one still waits for the provider, holds and says so.</summary>
    private void TickNodes()
    {
        var now = _time.GetUtcNow();
        var clock = _time.GetTimestamp() / (double)_time.TimestampFrequency;
        if (!_nodeStep.IsCompleted)
        {
            var o = _outstanding;
            _publish.Waiting(_nodes!.Name, o is null ? "its answer" : _nodes.Describe(o.Call), o is null ? 0 : (now - o.Since).TotalSeconds, clock);
            return;
        }

        _publish.Waiting(_nodes!.Name, null, 0, clock);
        _nodeStep = Task.Run(() => NodeStepAsync(_stop.Token));
    }

    /// <summary>One node step; a failure that is not the provider's is logged, and the next tick tries again.</summary>
    private async Task NodeStepAsync(CancellationToken cancel)
    {
        try
        {
            await NodeStepsAsync(cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _publish.Warn($"node step failed: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>For each stage on workers: list the pool, book it, measure, decide, request or release.</summary>
    private async Task NodeStepsAsync(CancellationToken cancel)
    {
        var nodes = _nodes!;
        foreach (var loop in _loops.Where(l => l.Remote))
        {
            var name = loop.Stage.Name;
            var clock = _time.GetTimestamp() / (double)_time.TimestampFrequency;
            var book = loop.Control.Nodes;
            try
            {
                book.Observe(await Call(NodeCall.List, nodes.ListAsync, cancel).ConfigureAwait(false)).ToList().ForEach(n => Tell(name, n.Id, n.News));
            }
            catch (Exception e) when (IsProviderError(e))
            {
                // The provider cannot be asked (squeue down or hanging, SLURM_CONF unset): hold.
                _publish.ProviderError(name, nodes.Name, clock, $"cannot list its nodes, holding: {e.Message.Split('\n')[0]}");
                if (StageReading.Of(_pipeline.Latest, loop.Stage, _remote) is { } held) loop.Meter.Rebase(held);
                continue;
            }

            _publish.Pool(nodes.Name, book.Count);
            if (StageReading.Of(_pipeline.Latest, loop.Stage, _remote) is not { } r) continue;
            var pending = book.Count(NodeState.Booting) * nodes.CoresPerNode;
            if (loop.Meter.Remote(r, pending, book.OldestBootingSeconds(_time.GetUtcNow())) is not { } o) continue;
            var step = loop.Control.Decide(o);
            _publish.Decision(loop.Control, o, step.Decision, o.Ready, step.Request > 0 ? "up" : step.Release.Count > 0 ? "down" : "hold");
            try
            {
                for (var i = 0; i < step.Request; i++)
                {
                    var id = await Call(NodeCall.Request, nodes.RequestAsync, cancel).ConfigureAwait(false);
                    book.OnRequested(id);
                    _publish.Info($"{name}: requested node {id} from {nodes.Name} ({loop.Control.Law.Name}: {step.Decision.Reason})");
                }

                foreach (var id in step.Release)
                {
                    // Asked again each tick: a guard may defer it (minimum lifetime).
                    await Call(NodeCall.Release, c => Released(nodes.ReleaseAsync(id, drain: true, c)), cancel).ConfigureAwait(false);
                    if (book.OnReleasing(id)) _publish.Info($"{name}: releasing node {id} with drain ({loop.Control.Law.Name}: {step.Decision.Reason})");
                }
            }
            catch (Exception e) when (IsProviderError(e))
            {
                _publish.ProviderError(name, nodes.Name, clock, $"{e.Message.Split('\n')[0]} (retrying every tick)");
            }
        }
    }

    /// <summary>Runs one provider call, remembered as outstanding while it runs.</summary>
    private async Task<T> Call<T>(NodeCall call, Func<CancellationToken, Task<T>> run, CancellationToken cancel)
    {
        _outstanding = new Outstanding(call, _time.GetUtcNow());
        try
        {
            return await run(cancel).ConfigureAwait(false);
        }
        finally
        {
            _outstanding = null;
        }
    }

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
                _publish.Warn($"{stage}: node {id} failed");
                break;
            case NodeNews.Ending:
                _publish.Info($"{stage}: node {id} is near its end (walltime or lifetime) and drains on its own; it no longer counts as capacity, so a replacement is requested now if needed");
                break;
        }
    }

    private static bool IsProviderError(Exception e) =>
        e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception or IOException or HttpRequestException || e.GetType().Name == "HttpOperationException";

    private sealed record Outstanding(NodeCall Call, DateTimeOffset Since);
}

using Streams.Engine.Runtime;

namespace Streams.Control.Live;

/// <summary>The controller's node step: stages on workers, sized in whole nodes from the node provider.</summary>
public sealed partial class ControllerHost
{
    private readonly IRemoteStages? _remote;
    private readonly NodeStepper? _stepper;
    private Task _nodeStep = Task.CompletedTask;

    /// <summary>With several sites: when the queue would overflow, fed by each node step's observation.</summary>
    private Sites.QueueDeadline? _deadline;

    /// <summary>The provider call the controller waits for now, and since when; null when none.</summary>
    public (Nodes.NodeCall Call, DateTimeOffset Since)? WaitingFor => _stepper?.WaitingFor;

    /// <summary>Starts a node step, or, while the last one still waits for the provider, holds and says so.</summary>
    private void TickNodes()
    {
        var running = !_nodeStep.IsCompleted;
        _stepper!.PublishWaiting(running);
        if (!running) _nodeStep = Task.Run(() => NodeStepAsync(_stop.Token));
    }

    /// <summary>Passes <paramref name="o"/> on, after feeding it to the sites' deadline.</summary>
    private Laws.ControlObservation? Observed(Laws.ControlObservation? o)
    {
        if (o is { } x) _deadline?.Observe(x);
        return o;
    }

    /// <summary>One node step; a failure that is not the provider's is logged, and the next tick tries again.</summary>
    private async Task NodeStepAsync(CancellationToken cancel)
    {
        try
        {
            foreach (var loop in _loops.Where(l => l.Remote))
            {
                await _stepper!.StepAsync(loop.Control, (pending, age) =>
                    StageReading.Of(_pipeline.Latest, loop.Stage, _remote) is { } r ? Observed(loop.Meter.Remote(r, pending, age)) : null,
                    () =>
                    {
                        if (StageReading.Of(_pipeline.Latest, loop.Stage, _remote) is { } held) loop.Meter.Rebase(held);
                    }, cancel).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _publish.Warn($"node step failed: {e.GetType().Name}: {e.Message}");
        }
    }
}

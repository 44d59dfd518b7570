using Streams.Control.Laws;

namespace Streams.Control.Sites;

/// <summary>
/// The deadline a live run's placements work against (<see cref="MultiSiteProvider.Deadline"/>), from the controlled
/// stage's queue as the controller observes it each node step: seconds until the queue passes its target at its
/// growth since the last observation; 0 when it is over already; <paramref name="idleSeconds"/> when it is not growing
/// (as the simulation computes it).
/// </summary>
/// <param name="queueTarget">The queue target, events (the law's <c>queue-target</c>).</param>
/// <param name="idleSeconds">The deadline while the queue does not grow.</param>
public sealed class QueueDeadline(double queueTarget, double idleSeconds = 120)
{
    private readonly Lock _gate = new();
    private readonly double _idle = idleSeconds;
    private double _lastQueue = double.NaN, _lastTime = double.NaN, _seconds = idleSeconds;

    /// <summary>Seconds left before the queue overflows, as of the last observation.</summary>
    public double Seconds
    {
        get
        {
            lock (_gate) return _seconds;
        }
    }

    /// <summary>Takes in one observation of the stage (its time and queue).</summary>
    public void Observe(ControlObservation o)
    {
        lock (_gate)
        {
            var dt = o.Time - _lastTime;
            var growth = dt > 0 ? (o.Queue - _lastQueue) / dt : 0;
            _seconds = o.Queue >= queueTarget ? 0 : growth > 0 ? (queueTarget - o.Queue) / growth : _idle;
            (_lastQueue, _lastTime) = (o.Queue, o.Time);
        }
    }
}

namespace Streams.Control.Laws;

/// <summary>
/// The Kubernetes Horizontal Pod Autoscaler rule on a utilisation metric: desired = ceil(current x metric / target),
/// unchanged while |metric/target - 1| is within the tolerance (0.1). Servers not ready yet count as using nothing (as
/// HPA treats unready pods on scale-up), so desired = ceil(utilisation x ready / target). Scale-down takes the highest
/// recommendation of the stabilisation window (300 s); scale-up is limited to max(100%, 4) per 15 s.
/// </summary>
public sealed class HpaLaw(ControlBounds bounds, double targetUtilisation = 0.8, double tolerance = 0.1, double downWindow = 300, double upPeriod = 15, int upPods = 4) : IControlLaw
{
    private readonly Queue<(double Time, int Desired)> _recommendations = new();
    private double _lastUp = double.NegativeInfinity;

    public string Name => ControlLaws.Hpa;

    public ControlDecision Decide(in ControlObservation o)
    {
        var current = Math.Max(o.Requested, 1);
        var ratio = o.Ready == 0 ? 1 : o.Utilisation * o.Ready / (targetUtilisation * current);
        var raw = Math.Abs(ratio - 1) <= tolerance ? current : (int)Math.Ceiling(o.Utilisation * o.Ready / targetUtilisation);
        raw = (int)bounds.Clamp(raw);
        _recommendations.Enqueue((o.Time, raw));
        while (_recommendations.Count > 0 && _recommendations.Peek().Time < o.Time - downWindow) _recommendations.Dequeue();

        if (raw > current)
        {
            if (o.Time - _lastUp < upPeriod) return new(current, $"scale-up wanted ({raw}) but limited to once per {upPeriod:0} s");
            var limit = Math.Max(2 * current, current + upPods);
            var up = Math.Min(raw, limit);
            _lastUp = o.Time;
            return new(up, $"utilisation {o.Utilisation:0.00} vs target {targetUtilisation:0.00}: {current} -> {up}");
        }

        var stabilised = _recommendations.Max(r => r.Desired);
        if (stabilised < current) return new(stabilised, $"highest recommendation of the last {downWindow:0} s is {stabilised}: scale down");
        return new(current, Math.Abs(ratio - 1) <= tolerance ? $"ratio {ratio:0.00} within tolerance" : "scale-down held by the stabilisation window");
    }
}

namespace Streams.Control.Laws;

/// <summary>
/// COBaLD's LinearController: each tick, when utilisation is below <c>low</c> the demand falls by rate x interval,
/// else when allocation is above <c>high</c> it rises by the same. It reacts at a fixed speed and keeps raising demand
/// while requested capacity is still booting (allocation stays high): the baseline's known wind-up.
/// </summary>
public sealed class LinearLaw(ControlBounds bounds, double lowUtilisation = 0.5, double highAllocation = 0.5, double rate = 1) : IControlLaw
{
    private double? _demand;

    public string Name => ControlLaws.Linear;

    public ControlDecision Decide(in ControlObservation o)
    {
        var demand = _demand ?? o.Requested;
        string reason;
        if (o.Utilisation < lowUtilisation)
        {
            demand -= rate * o.Interval;
            reason = $"utilisation {o.Utilisation:0.00} < {lowUtilisation:0.00}: demand -{rate * o.Interval:0.##}";
        }
        else if (o.Allocation > highAllocation)
        {
            demand += rate * o.Interval;
            reason = $"allocation {o.Allocation:0.00} > {highAllocation:0.00}: demand +{rate * o.Interval:0.##}";
        }
        else
        {
            reason = "within band";
        }

        _demand = bounds.Clamp(demand);
        return new ControlDecision(_demand.Value, reason);
    }
}

/// <summary>
/// COBaLD's RelativeSupplyController: demand = 0.9 x supply when utilisation is below <c>low</c>, 1.1 x supply when
/// allocation is above <c>high</c>, else the supply (supply = ready servers).
/// </summary>
public sealed class RelativeSupplyLaw(ControlBounds bounds, double lowUtilisation = 0.5, double highAllocation = 0.5, double lowScale = 0.9, double highScale = 1.1) : IControlLaw
{
    public string Name => ControlLaws.RelativeSupply;

    public ControlDecision Decide(in ControlObservation o)
    {
        // Whole servers: 0.9 x a small supply rounds back up to the supply, so a scale-down removes at least one.
        if (o.Utilisation < lowUtilisation) return new(bounds.Clamp(Math.Min(o.Ready - 1, Math.Floor(lowScale * o.Ready))), $"utilisation {o.Utilisation:0.00} < {lowUtilisation:0.00}: {lowScale} x supply");
        if (o.Allocation > highAllocation) return new(bounds.Clamp(highScale * o.Ready), $"allocation {o.Allocation:0.00} > {highAllocation:0.00}: {highScale} x supply");
        return new(bounds.Clamp(o.Ready), "within band: supply");
    }
}

using Streams.Control.Laws;

namespace Streams.Control.Twin;

/// <summary>What the twin law is told: its grid, costs and how it works off a backlog.</summary>
public sealed record TwinLawSettings
{
    public double QueueTarget { get; init; } = 5000;

    /// <summary>Load states, from 0 to 1.25 x the most servers.</summary>
    public int States { get; init; } = 28;

    /// <summary>Servers between two controls the twin chooses from (0: about 16 controls between min and max).</summary>
    public int ControlStep { get; init; }

    public double Stay { get; init; } = 0.9;

    public double CoreCost { get; init; } = 0.2;

    public double SwitchCost { get; init; } = 0.05;

    /// <summary>A backlog over the target is worked off within this many seconds (extra servers on top of the recommendation).</summary>
    public double DrainSeconds { get; init; } = 30;

    /// <summary>Steps ahead of the exported prediction.</summary>
    public int Horizon { get; init; } = 10;
}

/// <summary>
/// The digital twin as a control law (<c>control: {law: twin}</c>), or as the advisor of another law: each tick it
/// filters the stage's load (offered load lambda/mu in servers) from the queue and the measured arrival rate, and asks
/// the twin's policy (value iteration over load x control, QMDP on the belief) for the control of least expected cost;
/// a backlog over the target adds the servers that work it off within <see cref="TwinLawSettings.DrainSeconds"/>.
/// Controls are server counts from the bounds' min to max in steps.
/// </summary>
public sealed class TwinLaw : IControlLaw
{
    private readonly ControlBounds _bounds;
    private readonly TwinLawSettings _s;
    private double _mu = double.NaN;

    public TwinLaw(ControlBounds bounds, TwinLawSettings? settings = null)
    {
        _bounds = bounds ?? throw new ArgumentNullException(nameof(bounds));
        _s = settings ?? new TwinLawSettings();
        var step = _s.ControlStep > 0 ? _s.ControlStep : Math.Max(1, (int)Math.Ceiling((bounds.Max - bounds.Min) / 16.0));
        var controls = new List<int>();
        for (var c = bounds.Min; c < bounds.Max; c += step) controls.Add(c);
        controls.Add(bounds.Max);
        var model = TwinModel.FromTheory(Math.Max(2, _s.States), 1.25 * bounds.Max, controls, _s.Stay, saturatedQueue: Math.Max(10 * _s.QueueTarget, 1000));
        Filter = new TwinFilter(model);
        Policy = new TwinPolicy(model, new TwinCosts(_s.QueueTarget, 1, _s.CoreCost, _s.SwitchCost));
    }

    public string Name => ControlLaws.Twin;

    public TwinFilter Filter { get; }

    public TwinPolicy Policy { get; }

    /// <summary>The last recommended control (servers), before the backlog term.</summary>
    public int Recommended { get; private set; }

    /// <summary>The load <see cref="TwinLawSettings.Horizon"/> ticks ahead, as last predicted.</summary>
    public TwinPrediction Prediction { get; private set; }

    public ControlDecision Decide(in ControlObservation o)
    {
        if (double.IsFinite(o.ServiceRate) && o.ServiceRate > 0) _mu = o.ServiceRate;
        var dt = Math.Max(1e-3, o.Interval);
        double? load = double.IsFinite(_mu) ? o.ArrivalRate / _mu : null;
        var loadSd = double.IsFinite(_mu) ? Math.Sqrt(Math.Max(1, o.ArrivalRate * dt)) / (_mu * dt) : 1;
        Filter.Step(new TwinObservation(o.Queue, Math.Max(1, o.Ready), load, loadSd));
        Recommended = Policy.Recommend(Filter.Belief, Math.Max(1, o.Requested));
        Prediction = Filter.Predict(_s.Horizon, Recommended, o.Queue, double.IsFinite(_mu) ? _mu : 0, dt);
        var backlog = o.Queue > _s.QueueTarget && double.IsFinite(_mu) ? (o.Queue - (_s.QueueTarget / 2)) / (_mu * _s.DrainSeconds) : 0;
        var demand = _bounds.Clamp(Math.Ceiling(Recommended + backlog));
        return new ControlDecision(demand,
            $"load {Filter.Estimate:0.0} +- {Filter.EstimateSd:0.0} servers (measured {(load is { } l ? l.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "-")}), queue {o.Queue:0}; recommends {Recommended}" +
            (backlog > 0 ? $" + {backlog:0.0} to work off the backlog in {_s.DrainSeconds:0} s" : ""));
    }
}

using System.Globalization;

namespace Streams.Control.Laws;

/// <summary>Settings of <see cref="QueueModelLaw"/>.</summary>
public sealed record QueueModelSettings
{
    /// <summary>Events in the queue the stage should stay under.</summary>
    public double QueueTarget { get; init; } = 5000;

    /// <summary>Seconds in which a backlog over half the target should be worked off (short: capacity comes in minutes, so ask for enough at once).</summary>
    public double DrainSeconds { get; init; } = 30;

    /// <summary>Highest planned utilisation (headroom for bursts the model does not see coming).</summary>
    public double MaxUtilisation { get; init; } = 0.85;

    /// <summary>Expected seconds from requesting capacity to it being ready (nodes: minutes; threads in this process: 0).</summary>
    public double BootSeconds { get; init; } = 120;

    /// <summary>A lower demand must hold this long (its highest value in the window is taken) before capacity is released.</summary>
    public double DownWindowSeconds { get; init; } = 180;

    /// <summary>No release unless the surplus is at least this fraction of the requested servers (and at least one).</summary>
    public double DownDeadband { get; init; } = 0.1;

    /// <summary>Most servers released per tick, as a fraction of those requested.</summary>
    public double MaxDownFraction { get; init; } = 0.25;

    /// <summary>
    /// Expected fraction of requested capacity that never arrives (nodes that fail to start): capacity still to come is
    /// requested with this margin, so one failed node does not cost a second boot delay.
    /// </summary>
    public double FailureHedge { get; init; } = 0.1;

    /// <summary>Smoothing time constant of the rate estimates, seconds.</summary>
    public double SmoothingSeconds { get; init; } = 10;

    /// <summary>
    /// Longest recurring pattern looked for in the arrival rate (<see cref="SeasonalMemory"/>), seconds; 0 turns it off.
    /// With a period found, capacity for the rate seen one period ago, a boot ahead, is requested before it is needed.
    /// </summary>
    public double SeasonSeconds { get; init; } = 3600;
}

/// <summary>
/// The default law. It sizes the stage from queueing theory: enough servers that the M/M/c mean queue stays under a
/// quarter of the target with utilisation at most <see cref="QueueModelSettings.MaxUtilisation"/>, plus the capacity to
/// work off the backlog the stage will have when pending capacity arrives (measured queue + the deficit accumulating over
/// the remaining boot time) within <see cref="QueueModelSettings.DrainSeconds"/> (the feedback on the measured queue).
/// Capacity requested and not yet ready counts as supply, so booting nodes are never requested twice (anti-windup).
/// Scale-up acts at once; scale-down takes the highest demand of a window, needs a deadband, is rate-limited, and
/// waits while a backlog remains (hysteresis).
/// </summary>
public sealed class QueueModelLaw(ControlBounds bounds, QueueModelSettings? settings = null) : IControlLaw
{
    private readonly QueueModelSettings _s = settings ?? new QueueModelSettings();
    private readonly Queue<(double Time, double Demand)> _window = new();
    private double _lambda = double.NaN;
    private double _mu = double.NaN;
    private double? _demand;
    private SeasonalMemory? _season;

    public string Name => ControlLaws.QueueModel;

    /// <summary>Smoothed arrival rate (events/s).</summary>
    public double Lambda => _lambda;

    /// <summary>Smoothed per-server service rate (events/s).</summary>
    public double Mu => _mu;

    /// <summary>The highest rate seen one period ago over the coming boot time and a quarter more; 0 without a period.</summary>
    private double Anticipate(in ControlObservation o)
    {
        if (_s.SeasonSeconds <= 0 || _s.BootSeconds <= 0) return 0; // threads start at once: nothing to prepare for
        _season ??= new SeasonalMemory(_s.SeasonSeconds);
        _season.Add(o.Time, o.ArrivalRate);
        return _season.Anticipate(o.Time, 0, _s.BootSeconds * 1.25) ?? 0; // a quarter of a boot of lead: boots vary
    }

    public ControlDecision Decide(in ControlObservation o)
    {
        var alpha = o.Interval / (_s.SmoothingSeconds + o.Interval);
        _lambda = double.IsNaN(_lambda) ? o.ArrivalRate : _lambda + (alpha * (o.ArrivalRate - _lambda));
        // A rise in arrivals is taken at once (the queue pays for every second of delay); a fall is smoothed.
        if (o.ArrivalRate > _lambda) _lambda = o.ArrivalRate;
        if (!double.IsNaN(o.ServiceRate) && o.ServiceRate > 0) _mu = double.IsNaN(_mu) ? o.ServiceRate : _mu + (alpha * (o.ServiceRate - _mu));
        var current = o.Requested;
        if (double.IsNaN(_mu)) return new(bounds.Clamp(current), "no service rate measured yet: hold");

        // A smoothed rate decays towards zero but never reaches it: under 1% of one server, with nothing waiting, is idle.
        if (_lambda < 0.01 * _mu && o.Queue <= 0) _lambda = 0;
        var model = ErlangC.ServersFor(_lambda, _mu, _s.QueueTarget / 4, _s.MaxUtilisation, bounds.Max);
        var anticipated = Anticipate(o);
        if (anticipated > _lambda) model = Math.Max(model, ErlangC.ServersFor(anticipated, _mu, _s.QueueTarget / 4, _s.MaxUtilisation, bounds.Max));
        // Capacity beyond what is ready arrives after a boot: the rest of the pending boot, or a whole boot if more must be asked for.
        var remainingBoot = o.Pending > 0 ? Math.Max(0, _s.BootSeconds - o.PendingAge) : model > o.Ready ? _s.BootSeconds : 0;
        var deficit = Math.Max(0, _lambda - (o.Ready * _mu)); // events/s the queue grows by until pending capacity is ready
        var backlog = o.Queue + (deficit * remainingBoot);
        var excess = Math.Max(0, backlog - (_s.QueueTarget / 2));
        var drain = (_lambda + (excess / _s.DrainSeconds)) / _mu;
        var need = Math.Max(model, drain);
        if (need > o.Ready) need = o.Ready + ((need - o.Ready) / (1 - Math.Clamp(_s.FailureHedge, 0, 0.9)));
        var want = bounds.Clamp(Math.Ceiling(need));
        var ahead = anticipated > _lambda ? string.Create(CultureInfo.InvariantCulture, $" (anticipating {anticipated:0.#}/s, seen one period of {_season!.Period:0} s ago)") : "";
        var why = string.Create(CultureInfo.InvariantCulture,
            $"lambda {_lambda:0.#}/s, mu {_mu:0.#}/s, queue {o.Queue:0}, backlog at arrival {backlog:0}: M/M/c needs {model}, drain needs {drain:0.#}{ahead}");

        _window.Enqueue((o.Time, want));
        while (_window.Count > 0 && _window.Peek().Time < o.Time - _s.DownWindowSeconds) _window.Dequeue();

        // Lowering steps down from the previous demand, not from what is requested: capacity comes in whole nodes, so the
        // requested servers may sit above any demand between two node boundaries.
        var previous = Math.Min(_demand ?? current, current);
        if (want > previous)
        {
            // Above what was last asked (even if not above what is requested: a release may still be pending): raise.
            _demand = want;
            return new(want, $"{why}; {current} requested: raise to {want}");
        }

        var held = _window.Max(w => w.Demand);
        var surplus = previous - held;
        if (surplus < Math.Max(1, _s.DownDeadband * previous)) return new(previous, $"{why}; hold {previous}");
        if (o.Queue > _s.QueueTarget / 2) return new(previous, $"{why}; backlog remains: hold {previous}");
        var release = Math.Max(1, Math.Floor(_s.MaxDownFraction * previous));
        var target = bounds.Clamp(Math.Max(held, previous - release));
        _demand = target;
        return new(target, $"{why}; highest demand of {_s.DownWindowSeconds:0} s is {held}: lower {previous} -> {target}");
    }
}

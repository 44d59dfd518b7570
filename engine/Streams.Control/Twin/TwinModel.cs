using MathNet.Numerics.Distributions;
using Streams.Control.Laws;

namespace Streams.Control.Twin;

/// <summary>
/// The queue twin's Dynamic Bayesian Network (after the JIRIAF paper): a hidden state D(t), the offered load in
/// servers a = lambda/mu (Erlangs; the traffic intensity under control u is a/u), discretised into bins; a control U(t),
/// the worker count; and observations O(t): the queue length, and optionally the measured arrival rate. Transitions:
/// stay with probability <see cref="Stay"/>, else move to a neighbouring bin (the load drifts; it does not jump).
/// Observation model per (state, control): log(1 + queue) is Gaussian (queue lengths are skewed over decades, so the
/// log is a better fit than the paper's plain Gaussian), mean and spread from theory (M/M/c) or learned from a
/// calibration table. The arrival observation a_obs = lambda_measured/mu is Gaussian around the state's load with a
/// Poisson spread: it lets the twin see a falling load at once, where the queue alone lags (the paper's weak spot).
/// </summary>
public sealed class TwinModel
{
    private readonly double[,] _logMean; // [state, control]
    private readonly double[,] _logSd;

    public TwinModel(IReadOnlyList<double> loads, IReadOnlyList<int> controls, double stay, double[,] logMean, double[,] logSd, double jump = 0)
    {
        ArgumentNullException.ThrowIfNull(loads);
        ArgumentNullException.ThrowIfNull(controls);
        if (loads.Count < 2) throw new ArgumentException("the twin needs at least two load states", nameof(loads));
        if (controls.Count < 1) throw new ArgumentException("the twin needs at least one control", nameof(controls));
        if (stay is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(stay), "stay probability must be in (0, 1]");
        if (jump is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(jump), "jump probability must be in [0, 1)");
        Loads = [.. loads];
        Controls = [.. controls];
        Stay = stay;
        Jump = jump;
        _logMean = logMean;
        _logSd = logSd;
        Transition = new double[Loads.Length, Loads.Length];
        for (var i = 0; i < Loads.Length; i++)
        {
            var neighbours = (i > 0 ? 1 : 0) + (i < Loads.Length - 1 ? 1 : 0);
            Transition[i, i] = stay;
            if (i > 0) Transition[i, i - 1] = (1 - stay) / neighbours;
            if (i < Loads.Length - 1) Transition[i, i + 1] = (1 - stay) / neighbours;
            for (var j = 0; j < Loads.Length; j++) Transition[i, j] = ((1 - jump) * Transition[i, j]) + (jump / Loads.Length);
        }
    }

    /// <summary>Offered load of each state, in servers (Erlangs).</summary>
    public double[] Loads { get; }

    /// <summary>The controls (worker counts) the twin knows.</summary>
    public int[] Controls { get; }

    public double Stay { get; }

    /// <summary>Probability per step of a jump to any state (a step change of the load by more than one bin); 0: none.</summary>
    public double Jump { get; }

    /// <summary>P(next = j | now = i) as [i, j]: stay, one bin up or down, or (with <see cref="Jump"/>) anywhere.</summary>
    public double[,] Transition { get; }

    public int States => Loads.Length;

    /// <summary>Mean of log(1 + queue) in state <paramref name="state"/> under control index <paramref name="control"/>.</summary>
    public double LogMean(int state, int control) => _logMean[state, control];

    public double LogSd(int state, int control) => _logSd[state, control];

    /// <summary>The index of the control nearest to <paramref name="workers"/>.</summary>
    public int ControlIndex(int workers)
    {
        var best = 0;
        for (var u = 1; u < Controls.Length; u++)
        {
            if (Math.Abs(Controls[u] - workers) < Math.Abs(Controls[best] - workers)) best = u;
        }

        return best;
    }

    /// <summary>The state whose load is nearest to <paramref name="load"/>.</summary>
    public int StateOf(double load)
    {
        var best = 0;
        for (var i = 1; i < Loads.Length; i++)
        {
            if (Math.Abs(Loads[i] - load) < Math.Abs(Loads[best] - load)) best = i;
        }

        return best;
    }

    /// <summary>
    /// Share of the queue likelihood spread evenly over log(1 + queue) in [0, log(1 + <see cref="MaxQueue"/>)]: a queue is
    /// transient after a load change (it drains for minutes after an overload), which a per-state stationary model
    /// cannot describe; this floor stops one such queue from outvoting every other observation.
    /// </summary>
    public double Robustness { get; init; } = 0.05;

    /// <summary>The largest queue the robust floor covers.</summary>
    public double MaxQueue { get; init; } = 1e6;

    /// <summary>Likelihood of a queue of <paramref name="queue"/> events in a state under a control.</summary>
    public double QueueLikelihood(int state, int control, double queue)
    {
        var x = Math.Log(1 + Math.Max(0, queue));
        return ((1 - Robustness) * Normal.PDF(_logMean[state, control], _logSd[state, control], x)) + (Robustness / Math.Log(1 + MaxQueue));
    }

    /// <summary>
    /// A model from queueing theory: equally spaced loads from 0 to <paramref name="maxLoad"/> (<paramref name="states"/>
    /// of them), M/M/c mean queue per (load, control) for the log-mean, <paramref name="logSd"/> for every spread. A
    /// control that cannot keep up (load &gt;= servers) is given the queue <paramref name="saturatedQueue"/>.
    /// </summary>
    public static TwinModel FromTheory(int states, double maxLoad, IReadOnlyList<int> controls, double stay = 0.9, double logSd = 0.6, double saturatedQueue = 10_000, double jump = 0.01)
    {
        ArgumentNullException.ThrowIfNull(controls);
        var loads = Enumerable.Range(0, states).Select(i => maxLoad * i / (states - 1)).ToArray();
        var mean = new double[states, controls.Count];
        var sd = new double[states, controls.Count];
        for (var i = 0; i < states; i++)
        {
            for (var u = 0; u < controls.Count; u++)
            {
                // Stable: around M/M/c's mean queue. Overloaded: the queue grows without bound, so anything from small
                // (the overload just began) to large is likely: a broad spread around half the saturated log-queue.
                var overloaded = loads[i] >= controls[u];
                mean[i, u] = overloaded ? Math.Log(1 + saturatedQueue) / 2 : Math.Log(1 + TheoryQueue(loads[i], controls[u], saturatedQueue));
                sd[i, u] = overloaded ? Math.Max(logSd, Math.Log(1 + saturatedQueue) / 4) : logSd;
            }
        }

        return new TwinModel(loads, controls, stay, mean, sd, jump);
    }

    /// <summary>M/M/c mean queue at load <paramref name="load"/> (Erlangs) on <paramref name="servers"/>, capped at <paramref name="saturated"/>.</summary>
    public static double TheoryQueue(double load, int servers, double saturated) =>
        load <= 0 ? 0 : load >= servers ? saturated : Math.Min(saturated, ErlangC.MeanQueue(servers, load, 1));
}

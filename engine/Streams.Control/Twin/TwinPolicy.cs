using Streams.Control.Laws;

namespace Streams.Control.Twin;

/// <summary>What the twin's recommendation weighs: the queue over its target against the cores, and changing control.</summary>
/// <param name="QueueTarget">Events; a step with the queue above it costs <paramref name="OverTargetCost"/>.</param>
/// <param name="OverTargetCost">Cost of one step over the target.</param>
/// <param name="CoreCost">Cost of one step on the largest control (scaled by workers / largest).</param>
/// <param name="SwitchCost">Cost of a change of control, per fraction of the largest control changed (damps flapping).</param>
/// <param name="Discount">Discount per step of the infinite-horizon value.</param>
public sealed record TwinCosts(double QueueTarget = 5000, double OverTargetCost = 1, double CoreCost = 0.2, double SwitchCost = 0.05, double Discount = 0.9);

/// <summary>
/// The twin's control recommendation: value iteration on the fully observed MDP whose state is (load bin, control in
/// force) and whose action is the next control, with immediate cost P(queue over target | load, control) x
/// over-target cost + cores + switching; then, on the filter's belief, the control of least expected cost (QMDP).
/// Unlike the paper's fixed threshold (32 threads when rho &gt;= 40 %), it follows from the costs and the model.
/// </summary>
public sealed class TwinPolicy
{
    private readonly double[,] _value;    // [state, control in force]
    private readonly double[,] _stepCost; // [state, control]: the immediate cost, fixed by the model and the costs
    private readonly double[,] _expected; // [state, next control]: sum over next states j of P(j | state) x value(j, control)
    private readonly int _largest;

    public TwinPolicy(TwinModel model, TwinCosts costs)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Costs = costs ?? throw new ArgumentNullException(nameof(costs));
        var (n, m) = (model.States, model.Controls.Length);
        _largest = model.Controls.Max();
        _stepCost = new double[n, m];
        for (var i = 0; i < n; i++)
        {
            for (var u = 0; u < m; u++)
            {
                var c = model.Controls[u];
                _stepCost[i, u] = (costs.OverTargetCost * OverTargetProbability(model.Loads[i], c, costs.QueueTarget)) + (costs.CoreCost * c / _largest);
            }
        }

        _value = new double[n, m];
        _expected = new double[n, m];
        for (var iteration = 0; iteration < 1000; iteration++)
        {
            Expect();
            var next = new double[n, m];
            double change = 0;
            for (var i = 0; i < n; i++)
            {
                for (var up = 0; up < m; up++)
                {
                    var best = double.PositiveInfinity;
                    for (var u = 0; u < m; u++) best = Math.Min(best, ActionCost(i, up, u));
                    next[i, up] = best;
                    change = Math.Max(change, Math.Abs(best - _value[i, up]));
                }
            }

            Array.Copy(next, _value, next.Length);
            if (change < 1e-9) break;
        }

        Expect();
    }

    public TwinModel Model { get; }

    public TwinCosts Costs { get; }

    /// <summary>Value of being in <paramref name="state"/> with <paramref name="control"/> (an index) in force.</summary>
    public double Value(int state, int control) => _value[state, control];

    /// <summary>Immediate cost of <paramref name="control"/> (an index) in <paramref name="state"/>.</summary>
    public double StepCost(int state, int control) => _stepCost[state, control];

    /// <summary>P(more than <paramref name="target"/> waiting) in an M/M/c queue at load <paramref name="load"/>: C(c, a) rho^(target+1); 1 when it cannot keep up.</summary>
    public static double OverTargetProbability(double load, int servers, double target)
    {
        if (load <= 0) return 0;
        if (load >= servers) return 1;
        return ErlangC.WaitProbability(servers, load) * Math.Pow(load / servers, target + 1);
    }

    /// <summary>The control (worker count) of least expected cost for <paramref name="belief"/>, with <paramref name="workersNow"/> in force.</summary>
    public int Recommend(IReadOnlyList<double> belief, int workersNow)
    {
        ArgumentNullException.ThrowIfNull(belief);
        var up = Model.ControlIndex(workersNow);
        var best = 0;
        var bestCost = double.PositiveInfinity;
        for (var u = 0; u < Model.Controls.Length; u++)
        {
            double cost = 0;
            for (var i = 0; i < belief.Count; i++) cost += belief[i] * ActionCost(i, up, u);
            if (cost < bestCost - 1e-12)
            {
                bestCost = cost;
                best = u;
            }
        }

        return Model.Controls[best];
    }

    private double ActionCost(int state, int controlNow, int control)
    {
        var controls = Model.Controls;
        var change = Costs.SwitchCost * Math.Abs(controls[control] - controls[controlNow]) / _largest;
        return _stepCost[state, control] + change + (Costs.Discount * _expected[state, control]);
    }

    /// <summary>Refreshes <see cref="_expected"/> from the current values.</summary>
    private void Expect()
    {
        var (n, m) = (Model.States, Model.Controls.Length);
        for (var i = 0; i < n; i++)
        {
            for (var u = 0; u < m; u++)
            {
                double future = 0;
                for (var j = 0; j < n; j++) future += Model.Transition[i, j] * _value[j, u];
                _expected[i, u] = future;
            }
        }
    }
}

using MathNet.Numerics.Distributions;

namespace Streams.Control.Twin;

/// <summary>One step's observation: the queue, the control in force, and optionally the measured load (lambda/mu) with its spread.</summary>
/// <param name="Queue">Events waiting.</param>
/// <param name="Workers">The control in force (worker count).</param>
/// <param name="Load">Measured arrival rate over mu (Erlangs); null to filter on the queue alone, as the paper does.</param>
/// <param name="LoadSd">Spread of <paramref name="Load"/> (Poisson: sqrt(lambda dt)/(mu dt)).</param>
public readonly record struct TwinObservation(double Queue, int Workers, double? Load = null, double LoadSd = 1);

/// <summary>
/// A prediction some steps ahead: the load (mean, spread, and the central 80% interval of the predicted belief) and the
/// queue (median and a central 80% band).
/// </summary>
public readonly record struct TwinPrediction(double Load, double LoadSd, double Queue, double QueueLow, double QueueHigh, double LoadLow = double.NaN, double LoadHigh = double.NaN);

/// <summary>
/// Forward filtering on a <see cref="TwinModel"/>: predict with the transition model, update with the observation
/// likelihood, normalise. The estimate is the posterior mean of the load (sum over states of P(state) x load) and the
/// most probable state; a k-step prediction runs the transition model forward without observations.
/// </summary>
public sealed class TwinFilter
{
    private double[] _belief;

    public TwinFilter(TwinModel model)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _belief = Enumerable.Repeat(1.0 / model.States, model.States).ToArray(); // nothing known yet
    }

    public TwinModel Model { get; }

    /// <summary>P(state) now.</summary>
    public IReadOnlyList<double> Belief => _belief;

    /// <summary>Posterior mean load (Erlangs).</summary>
    public double Estimate => Mean(_belief);

    /// <summary>Posterior spread of the load.</summary>
    public double EstimateSd => Sd(_belief);

    /// <summary>The most probable state.</summary>
    public int MostLikely
    {
        get
        {
            var best = 0;
            for (var i = 1; i < _belief.Length; i++)
            {
                if (_belief[i] > _belief[best]) best = i;
            }

            return best;
        }
    }

    /// <summary>Predict one step, then update with <paramref name="o"/>.</summary>
    public void Step(in TwinObservation o)
    {
        var prior = Propagate(_belief, 1);
        var u = Model.ControlIndex(o.Workers);
        var posterior = new double[prior.Length];
        double total = 0;
        for (var i = 0; i < prior.Length; i++)
        {
            var l = Model.QueueLikelihood(i, u, o.Queue);
            if (o.Load is { } load) l *= Normal.PDF(Model.Loads[i], Math.Max(1e-6, o.LoadSd), load);
            posterior[i] = prior[i] * l;
            total += posterior[i];
        }

        // An observation no state explains (all likelihoods underflow) keeps the prediction rather than dividing by 0.
        _belief = total > 0 && double.IsFinite(total) ? posterior.Select(p => p / total).ToArray() : prior;
    }

    /// <summary>
    /// The load and queue <paramref name="steps"/> steps ahead under <paramref name="workers"/>. The queue is a mixture
    /// over the predicted states j: a stable one gives its log-normal observation model; an overloaded one (rho &gt;= 1
    /// on the load along the way, approximated as the mean of the load now and state j's), when the service rate
    /// <paramref name="mu"/> is known, the fluid limit Q + (lambda - c mu) k dt from the queue now
    /// (<paramref name="queue"/>), Gaussian with the Poisson spread sqrt((lambda + c mu) k dt) of the arrivals and
    /// services over the horizon. A stable state whose fluid drain has not reached its stationary queue yet is also
    /// still draining on the fluid line.
    /// </summary>
    public TwinPrediction Predict(int steps, int workers, double queue = 0, double mu = 0, double dt = 1)
    {
        var b = Propagate(_belief, steps);
        var u = Model.ControlIndex(workers);
        var horizon = Math.Max(0, steps) * Math.Max(0, dt);
        var c = Math.Max(1, workers);
        var now = Mean(_belief);
        // Per state: the fluid queue and its spread when it applies, else NaN (the log-normal model).
        var fluid = new double[b.Length];
        var fluidSd = new double[b.Length];
        for (var i = 0; i < b.Length; i++)
        {
            fluid[i] = double.NaN;
            if (!(mu > 0)) continue;
            var along = (now + Model.Loads[i]) / 2; // the load along the way: trapezoid between now and state i
            var q = Math.Max(0, queue) + ((along - c) * mu * horizon);
            var stationary = Math.Exp(Model.LogMean(i, u)) - 1;
            if (along >= c || q > stationary)
            {
                fluid[i] = Math.Max(0, q);
                fluidSd[i] = Math.Max(1, Math.Sqrt((along + c) * mu * horizon));
            }
        }

        // The queue's distribution is a mixture: its quantiles, found on the log scale by bisection.
        double Cdf(double logQ)
        {
            double p = 0;
            var q = Math.Exp(logQ) - 1;
            for (var i = 0; i < b.Length; i++)
            {
                if (b[i] == 0) continue;
                p += b[i] * (double.IsNaN(fluid[i]) ? Normal.CDF(Model.LogMean(i, u), Model.LogSd(i, u), logQ) : Normal.CDF(fluid[i], fluidSd[i], q));
            }

            return p;
        }

        double Quantile(double q)
        {
            double lo = -1, hi = 30;
            for (var k = 0; k < 60; k++)
            {
                var mid = (lo + hi) / 2;
                if (Cdf(mid) < q) lo = mid;
                else hi = mid;
            }

            return Math.Max(0, Math.Exp((lo + hi) / 2) - 1);
        }

        return new TwinPrediction(Mean(b), Sd(b), Quantile(0.5), Quantile(0.1), Quantile(0.9), LoadQuantile(b, 0.1), LoadQuantile(b, 0.9));
    }

    /// <summary>The load of the state where the cumulative <paramref name="belief"/> first reaches <paramref name="q"/>.</summary>
    public double LoadQuantile(IReadOnlyList<double> belief, double q)
    {
        ArgumentNullException.ThrowIfNull(belief);
        double cumulative = 0;
        for (var i = 0; i < belief.Count; i++)
        {
            cumulative += belief[i];
            if (cumulative >= q - 1e-12) return Model.Loads[i];
        }

        return Model.Loads[^1];
    }

    /// <summary>Sets the belief (for tests and for starting from a known state).</summary>
    public void Reset(IReadOnlyList<double> belief)
    {
        ArgumentNullException.ThrowIfNull(belief);
        if (belief.Count != Model.States) throw new ArgumentException($"belief needs {Model.States} entries", nameof(belief));
        var total = belief.Sum();
        _belief = belief.Select(p => p / total).ToArray();
    }

    /// <summary>b T^steps.</summary>
    public double[] Propagate(IReadOnlyList<double> belief, int steps)
    {
        ArgumentNullException.ThrowIfNull(belief);
        var b = belief.ToArray();
        for (var s = 0; s < steps; s++)
        {
            var next = new double[b.Length];
            for (var i = 0; i < b.Length; i++)
            {
                if (b[i] == 0) continue;
                for (var j = 0; j < b.Length; j++) next[j] += b[i] * Model.Transition[i, j];
            }

            b = next;
        }

        return b;
    }

    private double Mean(double[] b)
    {
        double m = 0;
        for (var i = 0; i < b.Length; i++) m += b[i] * Model.Loads[i];
        return m;
    }

    private double Sd(double[] b)
    {
        var m = Mean(b);
        double v = 0;
        for (var i = 0; i < b.Length; i++) v += b[i] * (Model.Loads[i] - m) * (Model.Loads[i] - m);
        return Math.Sqrt(v);
    }
}

using MathNet.Numerics.Distributions;

namespace Streams.Control.Sites;

/// <summary>
/// The learned distribution of a site's request-to-join time: a log-normal fitted to the last <see cref="Window"/>
/// joins, with the boot prior counted as <see cref="PriorWeight"/> pseudo-joins (so the prior holds until joins are
/// measured, and fades as they are). Nodes that never joined are censored at their age: each counts as a join at twice
/// that age (they took at least that long).
/// </summary>
public sealed class JoinTimes(BootPrior prior, int window = 20, double priorWeight = 2)
{
    /// <summary>z of the 90th percentile of N(0, 1).</summary>
    private const double Z90 = 1.2815515655446004;

    private readonly Queue<double> _logs = new();

    public BootPrior Prior { get; } = prior ?? throw new ArgumentNullException(nameof(prior));

    public int Window { get; } = window;

    public double PriorWeight { get; } = priorWeight;

    /// <summary>Joins measured (within the window).</summary>
    public int Measured => _logs.Count;

    /// <summary>Joins measured since the start.</summary>
    public int Total { get; private set; }

    /// <summary>Takes in one node's request-to-join time.</summary>
    public void Add(double seconds)
    {
        _logs.Enqueue(Math.Log(Math.Max(0.1, seconds)));
        while (_logs.Count > Window) _logs.Dequeue();
        Total++;
    }

    /// <summary>A node that never joined after <paramref name="ageSeconds"/>: taken in as a join at twice that age.</summary>
    public void AddNeverJoined(double ageSeconds) => Add(2 * Math.Max(1, ageSeconds));

    /// <summary>The fitted log-normal's parameters (mu, sigma of the log).</summary>
    public (double Mu, double Sigma) Fit()
    {
        var mu0 = Math.Log(Prior.P50Seconds);
        var sigma0 = Math.Max(0.05, (Math.Log(Prior.P90Seconds) - mu0) / Z90);
        var w = PriorWeight;
        var n = _logs.Count;
        var mu = ((w * mu0) + _logs.Sum()) / (w + n);
        // Pooled second moment about the new mean: prior spread plus the measured one.
        var m2 = ((w * ((sigma0 * sigma0) + ((mu0 - mu) * (mu0 - mu)))) + _logs.Sum(x => (x - mu) * (x - mu))) / (w + n);
        return (mu, Math.Max(0.05, Math.Sqrt(m2)));
    }

    public double P50 => Quantile(0.5);

    public double P90 => Quantile(0.9);

    /// <summary>The <paramref name="p"/> quantile of the fitted distribution, seconds.</summary>
    public double Quantile(double p)
    {
        var (mu, sigma) = Fit();
        return LogNormal.InvCDF(mu, sigma, p);
    }
}

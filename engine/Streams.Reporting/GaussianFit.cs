using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace Streams.Reporting;

/// <summary>
/// A Gaussian fitted to a sample by truncated moments: mean and spread of the values within +-3 sigma of the mean,
/// iterated until the window settles, the spread corrected for the truncation (a Gaussian cut at +-3 sigma keeps
/// 98.66% of its sigma). Errors: sigma/sqrt(n) on the mean, sigma/sqrt(2n) on sigma (n: the values inside the window).
/// </summary>
/// <param name="Mean">Fitted mean.</param>
/// <param name="MeanError">Its statistical error.</param>
/// <param name="Sigma">Fitted sigma.</param>
/// <param name="SigmaError">Its statistical error.</param>
/// <param name="Used">Values inside the +-3 sigma window.</param>
public readonly record struct GaussianFit(double Mean, double MeanError, double Sigma, double SigmaError, int Used)
{
    /// <summary>Half-width of the fit window, in sigmas.</summary>
    public const double Window = 3;

    /// <summary>Fits <paramref name="values"/> (non-finite values ignored); fewer than two values give NaN.</summary>
    public static GaussianFit Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length < 2) return new GaussianFit(double.NaN, double.NaN, double.NaN, double.NaN, finite.Length);
        // Start from the median and the MAD-based sigma, robust against the tails the window will cut anyway.
        var mean = finite.Median();
        var sigma = 1.4826 * finite.Select(v => Math.Abs(v - mean)).Median();
        if (!(sigma > 0)) sigma = finite.StandardDeviation();
        var correction = TruncatedSdFactor(Window);
        var used = finite.Length;
        for (var iteration = 0; iteration < 20 && sigma > 0; iteration++)
        {
            var (m, s) = (mean, sigma);
            var inside = finite.Where(v => Math.Abs(v - m) <= Window * s).ToArray();
            if (inside.Length < 2) break;
            used = inside.Length;
            var (newMean, sd) = inside.MeanStandardDeviation();
            var newSigma = sd / correction;
            var settled = Math.Abs(newMean - mean) < 1e-6 * sigma && Math.Abs(newSigma - sigma) < 1e-6 * sigma;
            (mean, sigma) = (newMean, newSigma);
            if (settled) break;
        }

        return new GaussianFit(mean, sigma / Math.Sqrt(used), sigma, sigma / Math.Sqrt(2.0 * used), used);
    }

    /// <summary>The Gaussian's density at <paramref name="x"/> times <paramref name="scale"/> (entries x bin width for a histogram).</summary>
    public double Curve(double x, double scale) => scale * Normal.PDF(Mean, Sigma, x);

    /// <summary>Standard deviation of a unit normal cut at +-<paramref name="k"/>.</summary>
    public static double TruncatedSdFactor(double k)
    {
        var kept = (2 * Normal.CDF(0, 1, k)) - 1;
        return Math.Sqrt(1 - (2 * k * Normal.PDF(0, 1, k) / kept));
    }
}

/// <summary>Binomial confidence intervals for an efficiency k/n.</summary>
public static class BinomialInterval
{
    /// <summary>
    /// The Wilson score interval at <paramref name="z"/> standard deviations (1: 68.3%): never outside [0, 1] and
    /// not empty at k = 0 or k = n, unlike the normal approximation. n = 0 gives NaN bounds (nothing measured).
    /// </summary>
    public static (double Low, double High) Wilson(long k, long n, double z = 1)
    {
        if (n <= 0) return (double.NaN, double.NaN);
        var p = k / (double)n;
        var z2 = z * z;
        var centre = (p + (z2 / (2 * n))) / (1 + (z2 / n));
        var half = z / (1 + (z2 / n)) * Math.Sqrt((p * (1 - p) / n) + (z2 / (4.0 * n * n)));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}

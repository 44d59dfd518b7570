using Streams.Control.Simulation;
using Streams.Control.Twin;

namespace Streams.Control.Tests;

/// <summary>
/// The simulations' random draws (MathNet.Numerics on a seeded <see cref="Random"/>): the same seed gives the same
/// draws, and their moments match the distribution within five standard errors (a false alarm about once in 1.7
/// million runs).
/// </summary>
public sealed class RandomDrawsTests
{
    private const int N = 20_000;

    [Theory]
    [InlineData(0.3)]
    [InlineData(4.5)]
    [InlineData(250)]
    public void Poisson_draws_repeat_with_the_seed_and_have_the_poisson_mean_and_variance(double mean)
    {
        var a = Draw(r => RandomDraws.Poisson(r, mean));
        Assert.Equal(a, Draw(r => RandomDraws.Poisson(r, mean)));
        var (m, v) = Moments(a);
        // Poisson: variance = mean; the sample variance's variance is (2 mean^2 + mean) / n.
        Assert.InRange(m, mean - (5 * Math.Sqrt(mean / N)), mean + (5 * Math.Sqrt(mean / N)));
        var sdVar = Math.Sqrt(((2 * mean * mean) + mean) / N);
        Assert.InRange(v, mean - (5 * sdVar), mean + (5 * sdVar));
    }

    [Fact]
    public void A_poisson_draw_of_no_mean_is_zero_and_uses_no_randomness()
    {
        var r = new Random(3);
        Assert.Equal(0, RandomDraws.Poisson(r, 0));
        Assert.Equal(0, RandomDraws.Poisson(r, -1));
        Assert.Equal(new Random(3).Next(), r.Next());
    }

    [Fact]
    public void Normal_draws_repeat_with_the_seed_and_have_the_normal_mean_and_spread()
    {
        var a = Draw(r => RandomDraws.Normal(r, 120, 30));
        Assert.Equal(a, Draw(r => RandomDraws.Normal(r, 120, 30)));
        var (m, v) = Moments(a);
        Assert.InRange(m, 120 - (5 * 30 / Math.Sqrt(N)), 120 + (5 * 30 / Math.Sqrt(N)));
        // The sample spread's standard error is sd / sqrt(2 n).
        Assert.InRange(Math.Sqrt(v), 30 - (5 * 30 / Math.Sqrt(2.0 * N)), 30 + (5 * 30 / Math.Sqrt(2.0 * N)));
        Assert.Equal(7, RandomDraws.Normal(new Random(1), 7, 0));
    }

    [Fact]
    public void A_simulated_twin_trace_repeats_with_its_seed()
    {
        var profile = TwinTrace.Profile([4, 8, 12], 200, seed: 5);
        Assert.Equal(TwinTrace.Simulate(profile, 16, 100, seed: 5), TwinTrace.Simulate(profile, 16, 100, seed: 5));
        Assert.NotEqual(TwinTrace.Simulate(profile, 16, 100, seed: 5), TwinTrace.Simulate(profile, 16, 100, seed: 6));
    }

    private static double[] Draw(Func<Random, double> draw)
    {
        var r = new Random(42);
        return [.. Enumerable.Range(0, N).Select(_ => draw(r))];
    }

    private static (double Mean, double Variance) Moments(double[] x)
    {
        var m = x.Average();
        return (m, x.Sum(v => (v - m) * (v - m)) / (x.Length - 1));
    }
}

using MathNet.Numerics.Distributions;

namespace Streams.Control.Simulation;

/// <summary>Seeded random draws the simulations share (MathNet.Numerics on the caller's <see cref="Random"/>, so a seed gives the same run).</summary>
internal static class RandomDraws
{
    /// <summary>A Poisson count of mean <paramref name="mean"/>; 0 when the mean is not positive.</summary>
    public static long Poisson(Random rng, double mean) => mean <= 0 ? 0 : MathNet.Numerics.Distributions.Poisson.Sample(rng, mean);

    /// <summary>A normal draw of mean <paramref name="mean"/> and spread <paramref name="sd"/> (the mean when the spread is not positive).</summary>
    public static double Normal(Random rng, double mean, double sd) => sd <= 0 ? mean : MathNet.Numerics.Distributions.Normal.Sample(rng, mean, sd);
}

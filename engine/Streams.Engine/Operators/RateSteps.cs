using System.Globalization;

namespace Streams.Engine.Operators;

/// <summary>
/// A rate that changes over time, from a <c>rate-steps</c> parameter: <c>SECONDS:RATE</c> items, each rate (events/s)
/// holding from its time on, e.g. <c>[0:500, 10:3000, 30:500]</c>; before the first step the rate is 0. Shared by the
/// sources and senders that pace themselves (synthetic, ejfat-sender).
/// </summary>
public sealed class RateSteps
{
    private readonly (double At, double Rate)[] _steps;

    private RateSteps((double At, double Rate)[] steps) => _steps = steps;

    /// <summary>No steps.</summary>
    public static RateSteps None { get; } = new([]);

    /// <summary>No steps: the operator's fixed rate applies.</summary>
    public bool IsEmpty => _steps.Length == 0;

    /// <summary>The steps, by time.</summary>
    public IReadOnlyList<(double At, double Rate)> Steps => _steps;

    /// <summary>Reads the list parameter <paramref name="key"/> of <paramref name="config"/>; a bad item is a <see cref="ConfigException"/> at its location.</summary>
    public static RateSteps From(OperatorConfig config, string key = "rate-steps")
    {
        ArgumentNullException.ThrowIfNull(config);
        var steps = new List<(double, double)>();
        foreach (var item in config.GetList(key).Where(x => x.Length > 0))
        {
            var parts = item.Split(':');
            if (parts.Length == 2
                && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var at) && at >= 0
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate >= 0)
            {
                steps.Add((at, rate));
                continue;
            }

            throw new ConfigException($"stage '{config.StageName}': '{key}' item '{item}' is not SECONDS:RATE", config.Values.GetValueOrDefault(key)?.Location);
        }

        return new RateSteps([.. steps.OrderBy(s => s.Item1)]);
    }

    /// <summary>The rate at time <paramref name="t"/> (seconds from the start).</summary>
    public double RateAt(double t)
    {
        var rate = 0.0;
        foreach (var (at, r) in _steps)
        {
            if (at <= t) rate = r;
        }

        return rate;
    }

    /// <summary>Events due by time <paramref name="t"/>: the integral of the piecewise rate.</summary>
    public ulong Due(double t)
    {
        double total = 0;
        for (var i = 0; i < _steps.Length && _steps[i].At < t; i++)
        {
            var end = i + 1 < _steps.Length ? Math.Min(_steps[i + 1].At, t) : t;
            total += _steps[i].Rate * (end - _steps[i].At);
        }

        return (ulong)total;
    }
}

using Streams.Reporting;

namespace Streams.Control.Simulation;

/// <summary>An arrival rate over time (events/s), for the controller simulation.</summary>
public sealed class ArrivalTrace
{
    private readonly Func<double, double> _rate;

    private ArrivalTrace(string name, double duration, Func<double, double> rate)
    {
        Name = name;
        DurationSeconds = duration;
        _rate = rate;
    }

    public string Name { get; }

    public double DurationSeconds { get; }

    public double Rate(double t) => Math.Max(0, _rate(t));

    /// <summary>Built-in traces, in events/s for a stage whose servers each do <paramref name="mu"/> events/s.</summary>
    public static ArrivalTrace BuiltIn(string name, double mu = 100)
    {
        var low = 4 * mu;
        var high = 40 * mu;
        return name switch
        {
            // Flat, a step up at 20 min, a step down at 80 min, flat to 120 min.
            "step" => new(name, 7200, t => t < 1200 ? low : t < 4800 ? high : low),
            // Up over 40 min, flat 20 min, down over 40 min, flat.
            "ramp" => new(name, 7200, t => t < 600 ? low : t < 3000 ? low + ((high - low) * (t - 600) / 2400) : t < 4200 ? high : t < 6600 ? high - ((high - low) * (t - 4200) / 2400) : low),
            // A base with 4-minute bursts every 30 minutes.
            "burst" => new(name, 7200, t => (t % 1800) is >= 600 and < 840 ? 0.875 * high : 1.5 * low),
            // A compressed day: two periods of 2 h between low and 0.9 x high.
            "diurnal" => new(name, 14400, t => low + ((0.9 * high - low) * 0.5 * (1 - Math.Cos(2 * Math.PI * t / 7200)))),
            _ => throw new ArgumentException($"unknown trace '{name}' (step, ramp, burst, diurnal, or a CSV file with the columns seconds,rate)"),
        };
    }

    public static IReadOnlyList<string> BuiltInNames { get; } = ["step", "ramp", "burst", "diurnal"];

    /// <summary>
    /// Reads a CSV table with the columns <c>seconds</c> and <c>rate</c> (a header row naming them is required, in any
    /// order, other columns ignored, see <see cref="CsvTable"/>); the rate holds until the next row and the trace ends
    /// at the last time.
    /// </summary>
    public static ArrivalTrace FromCsv(string path)
    {
        var last = double.NegativeInfinity;
        var points = CsvTable.Read(path, ["seconds", "rate"], row =>
        {
            var (t, r) = (row.Number("seconds"), row.Number("rate"));
            if (r < 0) throw row.Error("rate", $"negative rate {r}");
            if (t <= last) throw row.Error("seconds", $"time {t} does not increase");
            last = t;
            return (T: t, Rate: r);
        });
        if (points.Count < 2) throw new FormatException($"{path}: needs at least two rows of seconds,rate");
        var times = points.Select(p => p.T).ToArray();
        return new(Path.GetFileNameWithoutExtension(path), points[^1].T, t =>
        {
            var i = Array.BinarySearch(times, t);
            if (i < 0) i = Math.Max(0, ~i - 1);
            return points[Math.Min(i, points.Count - 1)].Rate;
        });
    }
}

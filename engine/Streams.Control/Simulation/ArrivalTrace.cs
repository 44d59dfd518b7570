using System.Globalization;

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
            _ => throw new ArgumentException($"unknown trace '{name}' (step, ramp, burst, diurnal, or a CSV file of 'seconds,rate' lines)"),
        };
    }

    public static IReadOnlyList<string> BuiltInNames { get; } = ["step", "ramp", "burst", "diurnal"];

    /// <summary>
    /// Reads 'seconds,rate' lines (a header line and # comments are skipped); the rate holds until the next line and the
    /// trace ends at the last time.
    /// </summary>
    public static ArrivalTrace FromCsv(string path)
    {
        var points = new List<(double T, double Rate)>();
        var lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split(',');
            if (parts.Length < 2 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var t)
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var r))
            {
                if (points.Count == 0 && lineNo == 1) continue; // header
                throw new FormatException($"{path}:{lineNo}: expected 'seconds,rate', got '{line}'");
            }

            if (r < 0) throw new FormatException($"{path}:{lineNo}: negative rate {r}");
            if (points.Count > 0 && t <= points[^1].T) throw new FormatException($"{path}:{lineNo}: time {t} does not increase");
            points.Add((t, r));
        }

        if (points.Count < 2) throw new FormatException($"{path}: needs at least two 'seconds,rate' lines");
        var times = points.Select(p => p.T).ToArray();
        return new(Path.GetFileNameWithoutExtension(path), points[^1].T, t =>
        {
            var i = Array.BinarySearch(times, t);
            if (i < 0) i = Math.Max(0, ~i - 1);
            return points[Math.Min(i, points.Count - 1)].Rate;
        });
    }
}

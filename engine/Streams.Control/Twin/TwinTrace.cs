using System.Globalization;

namespace Streams.Control.Twin;

/// <summary>One step of a queue trace: time, queue, control in force, arrivals in the step, and the true load when known.</summary>
public readonly record struct TraceStep(double Time, double Queue, int Workers, double? Arrivals, double? TrueLoad);

/// <summary>Queue traces: CSV (<c>t,queue,workers[,arrivals[,true_load]]</c>) and a simulated M/M/c queue with known ground truth.</summary>
public static class TwinTrace
{
    public const string Header = "t,queue,workers,arrivals,true_load";

    public static void Write(string path, IEnumerable<TraceStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        static string F(double? v) => v is { } d ? d.ToString("0.###", CultureInfo.InvariantCulture) : "";
        File.WriteAllLines(path, [Header, .. steps.Select(s => $"{F(s.Time)},{F(s.Queue)},{s.Workers},{F(s.Arrivals)},{F(s.TrueLoad)}")]);
    }

    /// <summary>Reads a trace; the header line is optional; a malformed line is reported with its number.</summary>
    public static IReadOnlyList<TraceStep> Read(string path)
    {
        var steps = new List<TraceStep>();
        var lines = File.ReadAllLines(path);
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0 || line.StartsWith('#') || (n == 0 && !char.IsDigit(line[0]))) continue;
            var f = line.Split(',');
            double? Opt(int i) => i < f.Length && f[i].Trim().Length > 0 ? double.Parse(f[i], NumberStyles.Float, CultureInfo.InvariantCulture) : null;
            try
            {
                steps.Add(new TraceStep(Opt(0) ?? throw new FormatException("no time"), Opt(1) ?? throw new FormatException("no queue"), (int)(Opt(2) ?? throw new FormatException("no workers")), Opt(3), Opt(4)));
            }
            catch (FormatException e)
            {
                throw new FormatException($"{path}:{n + 1}: expected {Header} (arrivals and true_load optional), got '{line}' ({e.Message})", e);
            }
        }

        if (steps.Count < 2) throw new FormatException($"{path}: a trace needs at least two steps");
        return steps;
    }

    /// <summary>
    /// An M/M/c queue with <paramref name="workers"/> servers of rate <paramref name="mu"/>, fed by Poisson arrivals whose
    /// load (Erlangs) follows <paramref name="loads"/> (one value per step of <paramref name="dt"/> seconds); simulated
    /// in 100 sub-steps per step. Records the queue (waiting events) and arrivals at the end of each step, with the true load.
    /// </summary>
    public static IReadOnlyList<TraceStep> Simulate(IReadOnlyList<double> loads, int workers, double mu, double dt = 1, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(loads);
        var rng = new Random(seed);
        var inSystem = 0L;
        var h = dt / 100;
        var steps = new List<TraceStep>(loads.Count);
        for (var t = 0; t < loads.Count; t++)
        {
            var arrivals = 0L;
            for (var k = 0; k < 100; k++)
            {
                var a = Poisson(rng, loads[t] * mu * h);
                var served = Math.Min(inSystem, Poisson(rng, Math.Min(inSystem, workers) * mu * h));
                inSystem += a - served;
                arrivals += a;
            }

            steps.Add(new TraceStep((t + 1) * dt, Math.Max(0, inSystem - workers), workers, arrivals, loads[t]));
        }

        return steps;
    }

    /// <summary>A load profile over the given levels: each held for a random 40 to 120 steps, moving one level at a time.</summary>
    public static double[] Profile(IReadOnlyList<double> levels, int steps, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(levels);
        var rng = new Random(seed);
        var result = new double[steps];
        var level = 0;
        var t = 0;
        while (t < steps)
        {
            var hold = rng.Next(40, 121);
            for (var k = 0; k < hold && t < steps; k++) result[t++] = levels[level];
            level = level == 0 ? 1 : level == levels.Count - 1 ? level - 1 : level + (rng.Next(2) == 0 ? -1 : 1);
        }

        return result;
    }

    private static long Poisson(Random rng, double mean)
    {
        if (mean <= 0) return 0;
        if (mean > 30) return Math.Max(0, (long)Math.Round(mean + (Math.Sqrt(mean) * Gaussian(rng))));
        var limit = Math.Exp(-mean);
        long k = 0;
        var p = rng.NextDouble();
        while (p > limit)
        {
            k++;
            p *= rng.NextDouble();
        }

        return k;
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

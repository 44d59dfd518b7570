using Streams.Control.Simulation;
using Streams.Reporting;

namespace Streams.Control.Twin;

/// <summary>One step of a queue trace: time, queue, control in force, arrivals in the step, and the true load when known.</summary>
public readonly record struct TraceStep(double Time, double Queue, int Workers, double? Arrivals, double? TrueLoad);

/// <summary>Queue traces: CSV (<c>t,queue,workers[,arrivals[,true_load]]</c>) and a simulated M/M/c queue with known ground truth.</summary>
public static class TwinTrace
{
    public const string Header = "t,queue,workers,arrivals,true_load";

    /// <summary>The columns of <see cref="Header"/>; the first three are required when reading.</summary>
    internal static readonly string[] Columns = Header.Split(',');

    public static void Write(string path, IEnumerable<TraceStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        CsvTable.Write(path, Columns, steps.Select(s => new[] { CsvTable.Field(s.Time), CsvTable.Field(s.Queue), CsvTable.Field(s.Workers), CsvTable.Field(s.Arrivals), CsvTable.Field(s.TrueLoad) }));
    }

    /// <summary>
    /// Reads a trace (see <see cref="CsvTable"/>: a header row is required, columns by name in any order, others
    /// ignored); <c>arrivals</c> and <c>true_load</c> may be absent or empty; a malformed row is reported with its line.
    /// </summary>
    public static IReadOnlyList<TraceStep> Read(string path)
    {
        var steps = CsvTable.Read(path, Columns[..3], row =>
            new TraceStep(row.Number("t"), row.Number("queue"), row.WholeNumber("workers"), row.OptionalNumber("arrivals"), row.OptionalNumber("true_load")));
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
                var a = RandomDraws.Poisson(rng, loads[t] * mu * h);
                var served = Math.Min(inSystem, RandomDraws.Poisson(rng, Math.Min(inSystem, workers) * mu * h));
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
}

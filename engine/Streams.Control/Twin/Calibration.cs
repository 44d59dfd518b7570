using Streams.Reporting;

namespace Streams.Control.Twin;

/// <summary>
/// One point of the calibration experiment: a stage run at arrival rate <see cref="Lambda"/> with
/// <see cref="Workers"/> workers; its measured per-worker service rate, the mean queue it showed, the spread of
/// log(1 + queue) over the samples, and M/M/c's mean queue for the measured lambda and mu (the paper's table).
/// </summary>
public sealed record CalibrationRow(double Lambda, int Workers, double Mu, double ObservedLq, double ObservedLogSd, double TheoryLq)
{
    /// <summary>Offered load lambda/mu (Erlangs).</summary>
    public double Load => Mu > 0 ? Lambda / Mu : 0;

    /// <summary>Traffic intensity lambda/(c mu).</summary>
    public double Rho => Load / Workers;
}

/// <summary>The calibration table: CSV, and an observation model learned from it.</summary>
public static class Calibration
{
    public const string Header = "lambda,workers,mu,rho,observed_lq,observed_log_sd,mmc_lq";

    public static void Write(string path, IEnumerable<CalibrationRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        CsvTable.Write(path, Header.Split(','), rows.Select(r => new[] { F(r.Lambda), CsvTable.Field(r.Workers), F(r.Mu), F(r.Rho), F(r.ObservedLq), F(r.ObservedLogSd), F(r.TheoryLq) }));
    }

    /// <summary>
    /// Reads a table written by <see cref="Write"/> (see <see cref="CsvTable"/>: header row required, columns by name,
    /// others ignored: <c>rho</c> is derived, not read); a malformed row is reported with its line and column.
    /// </summary>
    public static IReadOnlyList<CalibrationRow> Read(string path) =>
        CsvTable.Read(path, ["lambda", "workers", "mu", "observed_lq", "observed_log_sd", "mmc_lq"], r =>
            new CalibrationRow(r.Number("lambda"), r.WholeNumber("workers"), r.Number("mu"), r.Number("observed_lq"), r.Number("observed_log_sd"), r.Number("mmc_lq")));

    /// <summary>
    /// A twin model whose observation model is learned from <paramref name="rows"/>: for each control, log(1 + observed
    /// Lq) interpolated linearly in the load between the measured points (from 0 at load 0; beyond the last point the
    /// theory's rise is added to the last measurement), spread the mean measured log spread of that control (at least
    /// <paramref name="minLogSd"/>). Controls without measurements, and loads a control cannot keep up with, keep the theory's model.
    /// </summary>
    public static TwinModel Learn(IReadOnlyList<CalibrationRow> rows, int states, double maxLoad, IReadOnlyList<int> controls, double stay = 0.9, double minLogSd = 0.2, double saturatedQueue = 10_000)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(controls);
        var theory = TwinModel.FromTheory(states, maxLoad, controls, stay, saturatedQueue: saturatedQueue);
        var mean = new double[states, controls.Count];
        var sd = new double[states, controls.Count];
        for (var u = 0; u < controls.Count; u++)
        {
            var points = rows.Where(r => r.Workers == controls[u] && r.Mu > 0).OrderBy(r => r.Load).Select(r => (r.Load, Log: Math.Log(1 + r.ObservedLq))).ToList();
            var spread = rows.Where(r => r.Workers == controls[u]).Select(r => r.ObservedLogSd).DefaultIfEmpty(0.6).Average();
            for (var i = 0; i < states; i++)
            {
                var a = theory.Loads[i];
                // Overloaded states cannot be calibrated (the queue never settles): they keep the theory's broad model.
                var measured = points.Count > 0 && a < controls[u];
                mean[i, u] = measured ? Interpolate([(0, 0), .. points], a, x => Math.Log(1 + TwinModel.TheoryQueue(x, controls[u], saturatedQueue))) : theory.LogMean(i, u);
                sd[i, u] = measured ? Math.Max(minLogSd, spread) : theory.LogSd(i, u);
            }
        }

        return new TwinModel(theory.Loads, controls, stay, mean, sd, theory.Jump);
    }

    private static double Interpolate(IReadOnlyList<(double X, double Y)> points, double x, Func<double, double> beyond)
    {
        for (var k = 1; k < points.Count; k++)
        {
            if (x <= points[k].X)
            {
                var (x0, y0) = points[k - 1];
                var (x1, y1) = points[k];
                return x1 <= x0 ? y1 : y0 + ((y1 - y0) * (x - x0) / (x1 - x0));
            }
        }

        var last = points[^1];
        return Math.Max(last.Y, last.Y + (beyond(x) - beyond(last.X)));
    }

    private static string F(double v) => CsvTable.Field(v, "0.####");
}

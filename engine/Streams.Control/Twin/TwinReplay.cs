using Streams.Reporting;

namespace Streams.Control.Twin;

/// <summary>
/// What filtering a trace gave: per step the estimate (posterior mean load and spread), the most likely state, the
/// prediction made <see cref="Horizon"/> steps earlier for this step (load, spread; queue median and 80% band), and the
/// recommended control; against the true load when the trace has it: the share of steps whose most likely state is
/// the true one, and the mean steps the estimate took to reach a new true state after the load rose or fell.
/// </summary>
public sealed record ReplayResult(
    string Mode, int Horizon, double[] Estimate, double[] EstimateSd, int[] State, double[] Predicted, double[] PredictedSd,
    double[] QueueMedian, double[] QueueLow, double[] QueueHigh, int[] Recommended, double? Accuracy, double? RiseDelay, double? FallDelay, int Rises, int Falls);

/// <summary>Runs the twin over a recorded trace (<c>streams twin replay</c>) and draws the paper's Figure 5.</summary>
public static class TwinReplay
{
    /// <summary>
    /// Filters <paramref name="trace"/>: on the queue alone (as the paper) or, with <paramref name="useArrivals"/> and
    /// arrivals in the trace, on the queue and the measured load (arrivals / (mu dt)).
    /// </summary>
    public static ReplayResult Run(TwinModel model, TwinPolicy policy, IReadOnlyList<TraceStep> trace, double mu, bool useArrivals, int horizon = 10)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(trace);
        var n = trace.Count;
        var filter = new TwinFilter(model);
        var (est, sd, pred, predSd, qMed, qLow, qHigh) = (new double[n], new double[n], new double[n], new double[n], new double[n], new double[n], new double[n]);
        var (state, rec) = (new int[n], new int[n]);
        Array.Fill(pred, double.NaN);
        for (var t = 0; t < n; t++)
        {
            var s = trace[t];
            var dt = t > 0 ? Math.Max(1e-6, s.Time - trace[t - 1].Time) : Math.Max(1e-6, trace.Count > 1 ? trace[1].Time - trace[0].Time : 1);
            double? load = useArrivals && s.Arrivals is { } a ? a / (mu * dt) : null;
            var loadSd = s.Arrivals is { } a2 ? Math.Sqrt(Math.Max(1, a2)) / (mu * dt) : 1;
            filter.Step(new TwinObservation(s.Queue, s.Workers, load, loadSd));
            (est[t], sd[t], state[t]) = (filter.Estimate, filter.EstimateSd, filter.MostLikely);
            rec[t] = policy.Recommend(filter.Belief, s.Workers);
            if (t + horizon < n)
            {
                var p = filter.Predict(horizon, trace[t + horizon].Workers);
                (pred[t + horizon], predSd[t + horizon], qMed[t + horizon], qLow[t + horizon], qHigh[t + horizon]) = (p.Load, p.LoadSd, p.Queue, p.QueueLow, p.QueueHigh);
            }
        }

        for (var t = 0; t < Math.Min(horizon, n); t++) (pred[t], predSd[t], qMed[t], qLow[t], qHigh[t]) = (est[t], sd[t], 0, 0, 0);

        double? accuracy = null, rise = null, fall = null;
        var (rises, falls) = (0, 0);
        if (trace.All(s => s.TrueLoad is not null))
        {
            var truth = trace.Select(s => model.StateOf(s.TrueLoad!.Value)).ToArray();
            accuracy = (double)truth.Zip(state).Count(p => p.First == p.Second) / n;
            var (riseDelays, fallDelays) = (new List<int>(), new List<int>());
            for (var t = 1; t < n; t++)
            {
                if (truth[t] == truth[t - 1]) continue;
                var d = 0;
                while (t + d < n && truth[t + d] == truth[t] && state[t + d] != truth[t]) d++;
                (truth[t] > truth[t - 1] ? riseDelays : fallDelays).Add(d);
            }

            (rises, falls) = (riseDelays.Count, fallDelays.Count);
            rise = riseDelays.Count > 0 ? riseDelays.Average() : null;
            fall = fallDelays.Count > 0 ? fallDelays.Average() : null;
        }

        return new ReplayResult(useArrivals ? "queue + arrivals" : "queue only (paper)", horizon, est, sd, state, pred, predSd, qMed, qLow, qHigh, rec, accuracy, rise, fall, rises, falls);
    }

    /// <summary>
    /// The paper's Figure 5 as PNG: (1) true load, estimate and its +-2 sd band, prediction made <c>Horizon</c> steps
    /// earlier and its band; (2) the same for the queue-only filter when given; (3) the queue observed, and the predicted
    /// queue's median and 80% band; (4) the recommended control and the control in force.
    /// </summary>
    public static void Plot(string path, IReadOnlyList<TraceStep> trace, ReplayResult ours, ReplayResult? paper = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(ours);
        var x = trace.Select(s => s.Time).ToArray();
        var truth = trace.Select(s => s.TrueLoad ?? double.NaN).ToArray();
        var hasTruth = trace.All(s => s.TrueLoad is not null);
        IReadOnlyList<double> Band(ReplayResult r, double[] mean, double[] sd, int sign) => mean.Zip(sd, (m, s) => Math.Max(0, m + (sign * 2 * s))).ToArray();
        IReadOnlyList<IReadOnlyList<double>> LoadPanel(ReplayResult r) =>
            hasTruth ? [truth, r.Estimate, r.Predicted] : [r.Estimate, r.Estimate, r.Predicted];
        IReadOnlyList<(IReadOnlyList<double>, IReadOnlyList<double>)> LoadBands(ReplayResult r) =>
            [([], []), (Band(r, r.Estimate, r.EstimateSd, -1), Band(r, r.Estimate, r.EstimateSd, 1)), (Band(r, r.Predicted, r.PredictedSd, -1), Band(r, r.Predicted, r.PredictedSd, 1))];
        var panels = new List<IReadOnlyList<IReadOnlyList<double>>> { LoadPanel(ours) };
        var bands = new List<IReadOnlyList<(IReadOnlyList<double> Low, IReadOnlyList<double> High)>> { LoadBands(ours) };
        if (paper is not null)
        {
            panels.Add(LoadPanel(paper));
            bands.Add(LoadBands(paper));
        }

        panels.Add([trace.Select(s => s.Queue).ToArray(), ours.QueueMedian]);
        bands.Add([([], []), (ours.QueueLow, ours.QueueHigh)]);
        panels.Add([trace.Select(s => (double)s.Workers).ToArray(), ours.Recommended.Select(v => (double)v).ToArray()]);
        bands.Add([]);
        var load = hasTruth ? "truth (blue), estimate +-2 sd (orange)" : "estimate +-2 sd (orange)";
        List<string> titles = [$"queue + arrivals (ours), load in servers: {load}, prediction {ours.Horizon} steps ahead (green)"];
        if (paper is not null) titles.Add($"queue only (as the paper): {load}, prediction (green)");
        titles.Add($"queue, events: observed (blue), predicted median and 80% band (orange)");
        titles.Add("workers: in force (blue), recommended (orange)");
        PngPlot.Lines(path, x, panels, bands: bands, titles: titles, xLabel: "seconds");
    }
}

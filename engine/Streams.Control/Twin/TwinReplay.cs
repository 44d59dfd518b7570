using Streams.Reporting;

namespace Streams.Control.Twin;

/// <summary>
/// What filtering a trace gave: per step the estimate (posterior mean load and spread), the most likely state, the
/// prediction made <see cref="Horizon"/> steps earlier for this step (load, spread; queue median and 80% band), and the
/// recommended control; against the true load when the trace has it: the share of steps whose most likely state is
/// the true one, and the mean steps the estimate took to reach a new true state after the load rose or fell. The
/// bands (<see cref="EstimateLow"/>.., <see cref="PredictedLow"/>..) are central 80% intervals of the filter's belief.
/// </summary>
public sealed record ReplayResult(
    string Mode, int Horizon, double[] Estimate, double[] EstimateSd, int[] State, double[] Predicted, double[] PredictedSd,
    double[] QueueMedian, double[] QueueLow, double[] QueueHigh, int[] Recommended, double? Accuracy, double? RiseDelay, double? FallDelay, int Rises, int Falls)
{
    /// <summary>10% quantile of the posterior load per step.</summary>
    public double[] EstimateLow { get; init; } = [];

    /// <summary>90% quantile of the posterior load per step.</summary>
    public double[] EstimateHigh { get; init; } = [];

    /// <summary>10% quantile of the load predicted <see cref="Horizon"/> steps earlier.</summary>
    public double[] PredictedLow { get; init; } = [];

    /// <summary>90% quantile of the load predicted <see cref="Horizon"/> steps earlier.</summary>
    public double[] PredictedHigh { get; init; } = [];
}

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
        var (estLow, estHigh, predLow, predHigh) = (new double[n], new double[n], new double[n], new double[n]);
        Array.Fill(pred, double.NaN);
        for (var t = 0; t < n; t++)
        {
            var s = trace[t];
            var dt = t > 0 ? Math.Max(1e-6, s.Time - trace[t - 1].Time) : Math.Max(1e-6, trace.Count > 1 ? trace[1].Time - trace[0].Time : 1);
            double? load = useArrivals && s.Arrivals is { } a ? a / (mu * dt) : null;
            var loadSd = s.Arrivals is { } a2 ? Math.Sqrt(Math.Max(1, a2)) / (mu * dt) : 1;
            filter.Step(new TwinObservation(s.Queue, s.Workers, load, loadSd));
            (est[t], sd[t], state[t]) = (filter.Estimate, filter.EstimateSd, filter.MostLikely);
            (estLow[t], estHigh[t]) = (filter.LoadQuantile(filter.Belief, 0.1), filter.LoadQuantile(filter.Belief, 0.9));
            rec[t] = policy.Recommend(filter.Belief, s.Workers);
            if (t + horizon < n)
            {
                var p = filter.Predict(horizon, trace[t + horizon].Workers, s.Queue, mu, dt);
                (pred[t + horizon], predSd[t + horizon], qMed[t + horizon], qLow[t + horizon], qHigh[t + horizon]) = (p.Load, p.LoadSd, p.Queue, p.QueueLow, p.QueueHigh);
                (predLow[t + horizon], predHigh[t + horizon]) = (p.LoadLow, p.LoadHigh);
            }
        }

        for (var t = 0; t < Math.Min(horizon, n); t++)
        {
            (pred[t], predSd[t], qMed[t], qLow[t], qHigh[t]) = (est[t], sd[t], trace[t].Queue, trace[t].Queue, trace[t].Queue);
            (predLow[t], predHigh[t]) = (estLow[t], estHigh[t]);
        }

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

        return new ReplayResult(useArrivals ? "queue + arrivals" : "queue only (paper)", horizon, est, sd, state, pred, predSd, qMed, qLow, qHigh, rec, accuracy, rise, fall, rises, falls)
        {
            EstimateLow = estLow, EstimateHigh = estHigh, PredictedLow = predLow, PredictedHigh = predHigh,
        };
    }

    /// <summary>
    /// The paper's Figure 5 as PNG and SVG, panels on one time axis: (1) true load, estimate and its 80% band,
    /// prediction made <c>Horizon</c> steps earlier and its 80% band; (2) the same for the queue-only filter when given;
    /// (3) the queue observed, and the predicted queue's median and 80% band; (4) the recommended control and the
    /// control in force. Returns the two paths.
    /// </summary>
    public static (string Png, string Svg) Plot(string path, IReadOnlyList<TraceStep> trace, ReplayResult ours, ReplayResult? paper = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(ours);
        var x = trace.Select(s => s.Time).ToArray();
        var hasTruth = trace.All(s => s.TrueLoad is not null);
        var truth = trace.Select(s => s.TrueLoad ?? double.NaN).ToArray();
        Panel LoadPanel(ReplayResult r, string title)
        {
            var lines = new List<Series>();
            if (hasTruth) lines.Add(new Series("truth", truth, 7));
            lines.Add(new Series("estimate (posterior mean)", r.Estimate, 1));
            lines.Add(new Series($"predicted {r.Horizon} steps earlier", r.Predicted, 2, Dashed: true));
            return new Panel(title, "load (busy servers)", lines, [new Band("estimate: 80% of belief", r.EstimateLow, r.EstimateHigh, 1), new Band("prediction: 80% of belief", r.PredictedLow, r.PredictedHigh, 2)]);
        }

        var panels = new List<Panel> { LoadPanel(ours, $"{ours.Mode} (ours): load, estimate and {ours.Horizon}-step prediction") };
        if (paper is not null) panels.Add(LoadPanel(paper, $"{paper.Mode}: load, estimate and {paper.Horizon}-step prediction"));
        panels.Add(new Panel($"queue: observed and predicted {ours.Horizon} steps earlier (ours)", "queue (events)",
            [new Series("observed", [.. trace.Select(s => s.Queue)], 0), new Series("predicted median", ours.QueueMedian, 1, Dashed: true)],
            [new Band("predicted 80% band", ours.QueueLow, ours.QueueHigh, 1)]));
        panels.Add(new Panel("control", "workers", [new Series("in force", [.. trace.Select(s => (double)s.Workers)], 0), new Series("recommended", [.. ours.Recommended.Select(v => (double)v)], 1, Dashed: true)]));
        return TimeSeriesPlots.Stacked(path, x, panels, "time (s)");
    }
}

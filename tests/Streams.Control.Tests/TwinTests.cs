using Streams.Control.Twin;

namespace Streams.Control.Tests;

/// <summary>The queue twin: filtering, learning the observation model, recommendation, replay.</summary>
public sealed class TwinTests
{
    /// <summary>Two states (loads 0 and 1), one control, stay 0.8; log(1+queue) ~ N(0, 1) in state 0 and N(2, 1) in state 1.</summary>
    private static TwinModel Tiny() => new([0, 1], [1], 0.8, new double[,] { { 0 }, { 2 } }, new double[,] { { 1 }, { 1 } }) { Robustness = 0 };

    [Fact]
    public void Filtering_matches_hand_computed_posteriors()
    {
        var filter = new TwinFilter(Tiny());
        var queue = Math.Exp(2) - 1; // log(1 + queue) = 2
        // Step 1: prior [0.5, 0.5] (uniform, unchanged by the symmetric transition); likelihoods phi(2) = 0.053991 and
        // phi(0) = 0.398942: posterior of state 1 = 0.398942 / (0.398942 + 0.053991) = 0.880797.
        filter.Step(new TwinObservation(queue, 1));
        Assert.Equal(0.880797, filter.Belief[1], 6);
        // Step 2: prior = [0.119203 x 0.8 + 0.880797 x 0.2, ...] = [0.271522, 0.728478]; posterior 0.951980.
        filter.Step(new TwinObservation(queue, 1));
        Assert.Equal(0.951980, filter.Belief[1], 6);
        Assert.Equal(1, filter.MostLikely);
        Assert.Equal(0.951980, filter.Estimate, 6); // sum of P(state) x load

        // Prediction runs the transition alone: one step from [0.048020, 0.951980] gives P(1) = 0.048020 x 0.2 + 0.951980 x 0.8.
        Assert.Equal((0.048020 * 0.2) + (0.951980 * 0.8), filter.Predict(1, 1).Load, 5);
    }

    [Fact]
    public void A_measured_load_moves_the_belief_where_the_queue_cannot()
    {
        var model = TwinModel.FromTheory(6, 20, [16, 32]);
        var queueOnly = new TwinFilter(model);
        var withLoad = new TwinFilter(model);
        for (var t = 0; t < 5; t++)
        {
            queueOnly.Step(new TwinObservation(0, 16));                    // loads 0..12 on 16 servers all have an empty queue
            withLoad.Step(new TwinObservation(0, 16, Load: 8, LoadSd: 0.3));
        }

        Assert.Equal(2, withLoad.MostLikely);                              // loads 0, 4, 8, ...: state 2
        Assert.True(withLoad.Belief[2] > 0.99);
        Assert.True(queueOnly.Belief.Max() < 0.6, "an empty queue should leave the low loads undecided");
    }

    [Fact]
    public void The_observation_model_is_learned_from_a_calibration_table()
    {
        // Two workers, mu 100/s: loads 0.4, 1.0, 1.6 with measured mean queues 0.1, 0.5, 3.0 and log spreads 0.3, 0.5, 0.7.
        CalibrationRow[] rows = [new(40, 2, 100, 0.1, 0.3, 0.08), new(100, 2, 100, 0.5, 0.5, 0.33), new(160, 2, 100, 3.0, 0.7, 2.84)];
        var model = Calibration.Learn(rows, states: 5, maxLoad: 2, controls: [2]); // loads 0, 0.5, 1, 1.5, 2
        Assert.Equal(0, model.LogMean(0, 0), 9);
        Assert.Equal(Math.Log(1.1) + ((Math.Log(1.5) - Math.Log(1.1)) * (0.1 / 0.6)), model.LogMean(1, 0), 9); // between the first two points
        Assert.Equal(Math.Log(1.5), model.LogMean(2, 0), 9);                                                   // a measured point
        Assert.Equal(Math.Log(1.5) + ((Math.Log(4) - Math.Log(1.5)) * (0.5 / 0.6)), model.LogMean(3, 0), 9);
        Assert.Equal(0.5, model.LogSd(1, 0), 9);                                                               // mean measured spread
        var theory = TwinModel.FromTheory(5, 2, [2]);
        Assert.Equal(theory.LogMean(4, 0), model.LogMean(4, 0), 9);                                            // load 2 on 2 workers: overloaded, theory

        var path = Path.GetTempFileName();
        Calibration.Write(path, rows);
        Assert.Equal(rows, Calibration.Read(path));
        File.Delete(path);
    }

    [Fact]
    public void The_recommendation_follows_the_load_and_holds_a_control_near_the_boundary()
    {
        var model = TwinModel.FromTheory(6, 20, [16, 32]); // loads 0, 4, 8, 12, 16, 20
        var policy = new TwinPolicy(model, new TwinCosts(QueueTarget: 50, SwitchCost: 0.3));
        double[] At(int state) => [.. Enumerable.Range(0, 6).Select(i => i == state ? 1.0 : 0)];
        Assert.Equal(16, policy.Recommend(At(1), 16));  // 25 % of 16: fewer cores
        Assert.Equal(16, policy.Recommend(At(1), 32));  // ... even from 32
        Assert.Equal(32, policy.Recommend(At(5), 16));  // 20 Erlangs cannot be served by 16
        Assert.Equal(32, policy.Recommend(At(4), 16));  // 16 Erlangs on 16 servers: saturated

        // Between 12 and 16 Erlangs the answer depends on the control in force (switching costs): hysteresis, not a threshold.
        var up = new List<double>();
        var stay = new List<double>();
        for (var p = 0.0; p <= 1.0001; p += 0.01)
        {
            double[] b = [0, 0, 0, 1 - p, p, 0];
            if (policy.Recommend(b, 16) == 32) up.Add(p);
            if (policy.Recommend(b, 32) == 32) stay.Add(p);
        }

        Assert.NotEmpty(up);
        Assert.True(stay.Min() < up.Min(), $"32 kept from p = {stay.Min():0.00}, chosen from 16 only from p = {up.Min():0.00}");
    }

    [Fact]
    public void Replaying_a_simulated_trace_finds_the_true_state_and_draws_the_figure()
    {
        var profile = TwinTrace.Profile([4, 8, 12, 20], 600, seed: 3);
        var trace = TwinTrace.Simulate(profile, 16, 100, seed: 3);
        var model = TwinModel.FromTheory(6, 20, [16, 32]);
        var policy = new TwinPolicy(model, new TwinCosts(QueueTarget: 50));
        var ours = TwinReplay.Run(model, policy, trace, 100, useArrivals: true);
        var paper = TwinReplay.Run(model, policy, trace, 100, useArrivals: false);
        Assert.True(ours.Accuracy >= 0.9, $"state correct in {ours.Accuracy:P1} of steps");
        Assert.True(ours.FallDelay < paper.FallDelay, $"falling load followed after {ours.FallDelay} steps, queue alone {paper.FallDelay}");
        Assert.Contains(32, ours.Recommended); // the overload at 20 Erlangs asks for 32

        var dir = Directory.CreateTempSubdirectory("twin-").FullName;
        var csv = Path.Combine(dir, "trace.csv");
        TwinTrace.Write(csv, trace);
        var back = TwinTrace.Read(csv);
        Assert.Equal(trace.Count, back.Count);
        Assert.Equal(trace[100].Queue, back[100].Queue);
        var (png, svg) = TwinReplay.Plot(Path.Combine(dir, "replay.png"), back, ours, paper);
        using (var bitmap = SkiaSharp.SKBitmap.Decode(png))
        {
            Assert.Equal(4 * 260, bitmap.Height); // four panels on one time axis
            Assert.True(Enumerable.Range(0, 200).Any(i => bitmap.GetPixel(100 + (i * 4), 150) != SkiaSharp.SKColors.White), "the load panel is drawn");
        }

        Assert.Contains("time (s)", File.ReadAllText(svg), StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void In_overload_the_predicted_queue_follows_the_fluid_limit_and_the_load_band_holds_the_truth()
    {
        // Loads 4..20 Erlangs on 16 servers of 100/s: at 20 the queue grows by about 400 events/s.
        var profile = TwinTrace.Profile([4, 8, 12, 20], 900, seed: 4);
        var trace = TwinTrace.Simulate(profile, 16, 100, seed: 4);
        var model = TwinModel.FromTheory(11, 20, [16, 32]);
        const int horizon = 10;
        var r = TwinReplay.Run(model, new TwinPolicy(model, new TwinCosts(QueueTarget: 50)), trace, 100, useArrivals: true, horizon);

        // Overload: the true load at or above the servers over the whole horizon, and a queue worth predicting.
        var overloaded = Enumerable.Range(horizon, trace.Count - horizon)
            .Where(t => Enumerable.Range(t - horizon, horizon + 1).All(k => trace[k].TrueLoad >= 16) && trace[t].Queue > 2000).ToList();
        Assert.True(overloaded.Count > 50, $"{overloaded.Count} overloaded steps");
        var close = overloaded.Count(t => Math.Abs(r.QueueMedian[t] - trace[t].Queue) < 0.25 * trace[t].Queue);
        var inside0 = overloaded.Count(t => trace[t].Queue >= r.QueueLow[t] && trace[t].Queue <= r.QueueHigh[t]);
        var steps0 = Enumerable.Range(horizon, trace.Count - horizon).ToList();
        var width0 = steps0.Average(t => r.PredictedHigh[t] - r.PredictedLow[t]);
        var covered0 = steps0.Count(t => trace[t].TrueLoad >= r.PredictedLow[t] - 1e-9 && trace[t].TrueLoad <= r.PredictedHigh[t] + 1e-9);
        Assert.True(close >= 0.9 * overloaded.Count, $"predicted median within 25% of the queue in {close} of {overloaded.Count} overloaded steps");
        var inside = overloaded.Count(t => trace[t].Queue >= r.QueueLow[t] && trace[t].Queue <= r.QueueHigh[t]);
        Assert.True(inside >= 0.5 * overloaded.Count, $"queue inside the 80% band in {inside} of {overloaded.Count} overloaded steps");

        // The 10-step load band: narrow (not the whole axis) and holding the true load most of the time.
        var steps = Enumerable.Range(horizon, trace.Count - horizon).ToList();
        var width = steps.Average(t => r.PredictedHigh[t] - r.PredictedLow[t]);
        Assert.True(width <= 0.4 * model.Loads[^1], $"mean band width {width:0.0} of {model.Loads[^1]} Erlangs");
        var covered = steps.Count(t => trace[t].TrueLoad >= r.PredictedLow[t] - 1e-9 && trace[t].TrueLoad <= r.PredictedHigh[t] + 1e-9);
        Assert.True(covered >= 0.8 * steps.Count, $"true load inside the band in {covered} of {steps.Count} steps");
    }

    [Fact]
    public void A_malformed_trace_line_is_reported_with_its_number()
    {
        var path = Path.GetTempFileName();
        File.WriteAllLines(path, [TwinTrace.Header, "1,0,16,100,4", "2,lots,16,100,4"]);
        var e = Assert.Throws<FormatException>(() => TwinTrace.Read(path));
        Assert.Contains(":3:", e.Message, StringComparison.Ordinal);
        File.Delete(path);
    }
}

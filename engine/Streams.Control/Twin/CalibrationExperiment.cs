using System.Globalization;
using Streams.Control.Laws;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;

namespace Streams.Control.Twin;

/// <summary>What <c>streams twin calibrate</c> runs: a real CPU-burning stage at each (traffic intensity, workers).</summary>
/// <param name="WorkUs">Mean service time per event, microseconds (exponential, as M/M/c assumes).</param>
/// <param name="Workers">Worker counts (the twin's controls).</param>
/// <param name="Rhos">Traffic intensities lambda / (c mu) to run at, for each worker count.</param>
/// <param name="Seconds">Measured seconds per point (after a 1 s warm-up).</param>
public sealed record CalibrationPlan(double WorkUs, IReadOnlyList<int> Workers, IReadOnlyList<double> Rhos, double Seconds);

/// <summary>
/// The calibration experiment of the JIRIAF paper's twin: Poisson arrivals (synthetic source, one event per batch) into
/// a cpu-burn stage with exponential service and c workers, for each arrival rate; measures the per-worker service
/// rate mu from busy time and the mean number waiting by sampling the stage's queue every 20 ms, and puts M/M/c's Lq for
/// the measured lambda and mu beside it.
/// </summary>
public static class CalibrationExperiment
{
    public static async Task<IReadOnlyList<CalibrationRow>> RunAsync(CalibrationPlan plan, Action<CalibrationRow>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var rows = new List<CalibrationRow>();
        var nominalMu = 1e6 / plan.WorkUs;
        foreach (var c in plan.Workers)
        {
            foreach (var rho in plan.Rhos)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var row = await PointAsync(plan, c, rho * c * nominalMu).ConfigureAwait(false);
                rows.Add(row);
                progress?.Invoke(row);
            }
        }

        return rows;
    }

    private static async Task<CalibrationRow> PointAsync(CalibrationPlan plan, int workers, double lambda)
    {
        var inv = CultureInfo.InvariantCulture;
        var yaml = $$$"""
            name: twin-calibration
            metrics: { listen: 'off' }
            sources: [{name: arrivals, operator: synthetic, config: {rate: {{{lambda.ToString("0.###", inv)}}}, arrivals: poisson, batch-size: 1, event-size: 16}}]
            stages: [{name: service, operator: cpu-burn, input: arrivals, workers: {{{workers}}}, max-workers: {{{workers}}}, queue: 65536, config: {work-us: {{{plan.WorkUs.ToString("0.###", inv)}}}, service: exponential}}]
            sinks: [{name: out, operator: count, input: service}]
            """;
        var loaded = PipelineLoader.Load(yaml, "twin-calibration.yaml");
        var planned = PipelinePlanner.Plan(loaded.Spec!, BuiltinOperators.Register(new OperatorCatalog()));
        if (!planned.Ok) throw new InvalidOperationException(string.Join("; ", planned.Diagnostics));
        using var pipeline = Pipeline.Create(planned.Plan!, new PipelineOptions { SampleInterval = TimeSpan.FromMilliseconds(20), Duration = TimeSpan.FromSeconds(plan.Seconds + 1) });
        var samples = new List<double>();
        double busy = 0, lastT = 0;
        long outAtStart = 0, inAtStart = 0, lastOut = 0, lastIn = 0; // "in": events arrived (the source's), not those the stage took
        double startT = -1;
        pipeline.Sampled += snap =>
        {
            var s = snap.Stages.First(x => x.Name == "service");
            var t = snap.Elapsed.TotalSeconds;
            if (t < 1)
            {
                (lastT, outAtStart, inAtStart) = (t, s.EventsOut, snap.Received); // warm-up
                return;
            }

            if (startT < 0) startT = lastT;
            busy += s.BusyFraction * s.Threads * (t - lastT);
            samples.Add(s.QueueDepth);
            (lastT, lastOut, lastIn) = (t, s.EventsOut, snap.Received);
        };
        await pipeline.RunAsync().ConfigureAwait(false);
        var seconds = Math.Max(1e-6, lastT - startT);
        var served = lastOut - outAtStart;
        var measuredLambda = (lastIn - inAtStart) / seconds;
        var mu = busy > 1e-9 ? served / busy : double.NaN;
        var lq = samples.Count > 0 ? samples.Average() : 0;
        var logs = samples.Select(q => Math.Log(1 + q)).ToList();
        var logMean = logs.DefaultIfEmpty(0).Average();
        var logSd = logs.Count > 1 ? Math.Sqrt(logs.Sum(v => (v - logMean) * (v - logMean)) / (logs.Count - 1)) : 0;
        return new CalibrationRow(measuredLambda, workers, mu, lq, logSd, ErlangC.MeanQueue(workers, measuredLambda, mu));
    }
}

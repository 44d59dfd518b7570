using System.Globalization;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;

namespace Streams.Cli.Bench;

/// <summary>One row of a thread-scaling run: workers, mean rate over the repeats, and its spread.</summary>
internal sealed record ScalingPoint(int Threads, double AverageRate, double Rms, IReadOnlyList<double> Rates);

/// <summary>
/// ERSAP-style thread scaling: synthetic -> cpu-burn (N workers, W us of work per event) -> count, for N = 1..max,
/// each measured for a fixed time after a warm-up, repeated, reported as mean events/s and RMS.
/// </summary>
internal sealed class ScalingBench(double workUs, int batch, TimeSpan measure, TimeSpan warmup, int repeats)
{
    public ScalingPoint Measure(int threads)
    {
        var rates = new List<double>();
        for (var r = 0; r < repeats; r++) rates.Add(MeasureOnce(threads));
        var mean = rates.Average();
        var rms = Math.Sqrt(rates.Sum(x => (x - mean) * (x - mean)) / rates.Count);
        return new ScalingPoint(threads, mean, rms, rates);
    }

    internal static string PipelineYaml(double workUs, int batch, int threads) => string.Create(CultureInfo.InvariantCulture, $"""
        name: bench-scaling
        sources:
          - name: generator
            operator: synthetic
            config: {"{"} event-size: 64, batch-size: {batch} {"}"}
        stages:
          - name: work
            operator: cpu-burn
            input: generator
            workers: {threads}
            max-workers: {threads}
            queue: {Math.Max(4, 2 * threads)}
            config: {"{"} work-us: {workUs} {"}"}
        sinks:
          - name: counter
            operator: count
            input: work
        """);

    private double MeasureOnce(int threads)
    {
        var loaded = PipelineLoader.Load(PipelineYaml(workUs, batch, threads), "<bench>");
        var planned = PipelinePlanner.Plan(loaded.Spec ?? throw new InvalidOperationException(string.Join("; ", loaded.Diagnostics)), BuiltinOperators.Register(new OperatorCatalog()));
        if (!planned.Ok) throw new InvalidOperationException(string.Join("; ", planned.Diagnostics));
        using var pipeline = Pipeline.Create(planned.Plan!, new PipelineOptions { Duration = warmup + measure, SampleInterval = TimeSpan.FromMilliseconds(100) });
        (TimeSpan At, long Processed)? first = null, last = null;
        pipeline.Sampled += s =>
        {
            if (pipeline.StopReason is not null) return;
            if (s.Elapsed >= warmup && first is null) first = (s.Elapsed, s.Processed);
            else if (first is not null) last = (s.Elapsed, s.Processed);
        };
        var summary = pipeline.RunAsync().GetAwaiter().GetResult();
        if (!summary.Events.Balanced) throw new InvalidOperationException($"benchmark run lost events: {summary.Events}");
        if (first is null || last is null) throw new InvalidOperationException("measurement window too short");
        return (last.Value.Processed - first.Value.Processed) / (last.Value.At - first.Value.At).TotalSeconds;
    }
}

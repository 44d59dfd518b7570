using MathNet.Numerics.Distributions;
using System.Diagnostics;
using Streams.Engine.Batches;
using Streams.Engine.Operators;

namespace Streams.Operators.Builtin;

/// <summary>
/// Stands in for reconstruction: spends a fixed amount of CPU work per event (calibrated once per process into a
/// number of arithmetic iterations, so it scales with cores like real work, unlike sleeping or spinning on a clock),
/// folds a checksum of the payload in, and passes the batch through.
/// </summary>
internal sealed class CpuBurn : IProcessor
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "cpu-burn",
        Kind = OperatorKind.Processor,
        Description = "Spends a calibrated amount of CPU work per event (a stand-in for reconstruction) and passes events through.",
        Parameters =
        [
            new("work-us", ParameterType.Double, "50", "CPU work per event, in microseconds of one core (calibrated at start).") { Min = 0, Max = 10_000_000 },
            new("service", ParameterType.String, "fixed", "Work per event: fixed (work-us each) or exponential (mean work-us, as an M/M/c queue's service).") { Choices = ["fixed", "exponential"] },
            new("mode", ParameterType.String, "cpu", "cpu: compute for work-us; wait: sleep for it instead (a service time that does not depend on how busy the CPU is: an I/O-bound stage, or tests of the controller on a loaded machine).") { Choices = ["cpu", "wait"] },
        ],
        Factory = () => new CpuBurn(),
    };

    private static readonly Lazy<double> IterationsPerMicrosecond = new(Calibrate);
    private long _iterations;
    private double _workUs;
    private bool _wait;
    private double _waitOwedUs;
    private Random? _exponential;

    /// <summary>Checksum of everything burned, so the work cannot be optimised away.</summary>
    public ulong Checksum { get; private set; }

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _workUs = config.GetDouble("work-us");
        _wait = config.GetString("mode") == "wait";
        _iterations = _wait ? 0 : (long)Math.Round(_workUs * IterationsPerMicrosecond.Value);
        _exponential = config.GetString("service") == "exponential" ? new Random() : null;
    }

    public void Reset() => Checksum = 0;

    public EventBatch? Process(EventBatch input, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_wait)
        {
            Wait(input.Count);
            return input;
        }

        var sum = Checksum;
        for (var i = 0; i < input.Count; i++)
        {
            var seed = input.HasBytes && input.GetPayload(i).Length >= 8 ? BitConverter.ToUInt64(input.GetPayload(i)) : input.Meta[i].EventNumber;
            sum += Burn(seed, _exponential is { } r ? (long)Math.Round(_iterations * Exponential.Sample(r, 1)) : _iterations);
        }

        Checksum = sum;
        return input;
    }

    /// <summary>Sleeps for the batch's service time; what is under a millisecond is owed to the next batch (sleep granularity).</summary>
    private void Wait(int events)
    {
        for (var i = 0; i < events; i++) _waitOwedUs += _exponential is { } r ? _workUs * Exponential.Sample(r, 1) : _workUs;
        if (_waitOwedUs < 1000) return;
        var t0 = Stopwatch.GetTimestamp();
        Thread.Sleep(TimeSpan.FromMicroseconds(_waitOwedUs));
        _waitOwedUs -= Stopwatch.GetElapsedTime(t0).TotalMicroseconds; // oversleeping is paid back by the next batches
    }

    /// <summary>A dependent chain of multiply-adds: one iteration is a few cycles, none can be skipped.</summary>
    internal static ulong Burn(ulong x, long iterations)
    {
        for (long i = 0; i < iterations; i++) x = (x * 6364136223846793005UL) + 1442695040888963407UL;
        return x;
    }

    private static double Calibrate()
    {
        // Median of several timed runs of ~2 ms each; the first one warms the JIT up.
        const long probe = 200_000;
        var rates = new List<double>();
        ulong sink = 0;
        for (var r = 0; r < 7; r++)
        {
            var t0 = Stopwatch.GetTimestamp();
            sink += Burn((ulong)r, probe);
            var us = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            if (r > 0) rates.Add(probe / Math.Max(us, 1e-3));
        }

        GC.KeepAlive(sink);
        rates.Sort();
        return rates[rates.Count / 2];
    }

    public void Dispose()
    {
    }
}

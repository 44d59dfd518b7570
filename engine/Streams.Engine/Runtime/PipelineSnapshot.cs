using System.Diagnostics;
using Streams.Engine.Accounting;

namespace Streams.Engine.Runtime;

/// <summary>One stage at one moment: totals, queue, threads, and rates over the last sample interval.</summary>
public sealed record StageSnapshot(
    string Name,
    string Kind,
    long EventsIn,
    long EventsOut,
    long Failed,
    long Discarded,
    int QueueDepth,
    int QueueCapacity,
    int Threads,
    int MaxThreads,
    double EventsPerSecond,
    double BusyFraction);

/// <summary>The whole pipeline at one moment: the run's books and every stage.</summary>
public sealed record PipelineSnapshot(
    TimeSpan Elapsed,
    long Received,
    long Processed,
    long Failed,
    long Discarded,
    long InFlight,
    double ProcessedPerSecond,
    IReadOnlyList<StageSnapshot> Stages);

/// <summary>
/// Takes snapshots of a running pipeline at a fixed interval: rates and busy fractions are differences between two
/// samples. It also refreshes the queue, worker, rate and utilisation gauges, so a Prometheus scrape sees them.
/// </summary>
internal sealed class PipelineSampler(IReadOnlyList<IStage> stages, RunAccounts accounts, TimeProvider time)
{
    private readonly long _started = time.GetTimestamp();
    private readonly long[] _lastOut = new long[stages.Count];
    private readonly long[] _lastBusy = new long[stages.Count];
    private TimeSpan _lastAt;
    private long _lastProcessed;
    private PipelineSnapshot? _latest;

    public PipelineSnapshot Latest => Volatile.Read(ref _latest) ?? Sample();

    public PipelineSnapshot Sample()
    {
        lock (_lastOut)
        {
            var now = time.GetElapsedTime(_started);
            var dt = Math.Max((now - _lastAt).TotalSeconds, 1e-9);
            var list = new StageSnapshot[stages.Count];
            for (var i = 0; i < stages.Count; i++)
            {
                var s = stages[i];
                var st = s.Stats;
                var outNow = st.EventsOut;
                var busyNow = st.BusyTicks;
                var workers = s.Threads;
                var rate = (outNow - _lastOut[i]) / dt;
                var busy = workers == 0 ? 0 : (busyNow - _lastBusy[i]) / (double)Stopwatch.Frequency / (dt * workers);
                busy = Math.Clamp(busy, 0, 1);
                _lastOut[i] = outNow;
                _lastBusy[i] = busyNow;
                st.QueueDepthGauge.Set(s.QueueDepth);
                st.WorkersGauge.Set(workers);
                st.RateGauge.Set(rate);
                st.BusyGauge.Set(busy);
                list[i] = new StageSnapshot(s.Name, s.Kind.ToString().ToLowerInvariant(), st.EventsIn, outNow, st.Failed, st.Discarded,
                    s.QueueDepth, s.QueueCapacity, workers, s.MaxThreads, rate, busy);
            }

            var processed = accounts.Processed;
            var snap = new PipelineSnapshot(now, accounts.Received, processed, accounts.Failed, accounts.Discarded, accounts.InFlight,
                (processed - _lastProcessed) / dt, list);
            _lastProcessed = processed;
            _lastAt = now;
            Volatile.Write(ref _latest, snap);
            return snap;
        }
    }
}

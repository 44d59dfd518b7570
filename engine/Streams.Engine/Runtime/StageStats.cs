using System.Diagnostics;
using Prometheus;
using Streams.Engine.Metrics;

namespace Streams.Engine.Runtime;

/// <summary>
/// Counters of one stage, updated once per batch: exact totals for the summary and the controller, mirrored into the
/// stage's cached Prometheus children.
/// </summary>
public sealed class StageStats
{
    private readonly Counter.Child _in;
    private readonly Counter.Child _out;
    private readonly Counter.Child _batches;
    private readonly Counter.Child _failed;
    private readonly Counter.Child _discarded;
    private readonly Histogram.Child _seconds;
    private long _eventsIn;
    private long _eventsOut;
    private long _batchCount;
    private long _failedCount;
    private long _discardedCount;
    private long _busyTicks;

    internal StageStats(StageMetrics metrics, string pipeline, string stage, string kind)
    {
        string[] labels = [pipeline, stage, kind];
        _in = metrics.EventsIn.WithLabels(labels);
        _out = metrics.EventsOut.WithLabels(labels);
        _batches = metrics.Batches.WithLabels(labels);
        _failed = metrics.Failed.WithLabels(labels);
        _discarded = metrics.Discarded.WithLabels(labels);
        _seconds = metrics.ProcessingSeconds.WithLabels(labels);
        QueueDepthGauge = metrics.QueueDepth.WithLabels(labels);
        QueueCapacityGauge = metrics.QueueCapacity.WithLabels(labels);
        WorkersGauge = metrics.Workers.WithLabels(labels);
        BusyGauge = metrics.BusyFraction.WithLabels(labels);
        RateGauge = metrics.EventRate.WithLabels(labels);
    }

    public long EventsIn => Volatile.Read(ref _eventsIn);
    public long EventsOut => Volatile.Read(ref _eventsOut);
    public long Batches => Volatile.Read(ref _batchCount);
    public long Failed => Volatile.Read(ref _failedCount);
    public long Discarded => Volatile.Read(ref _discardedCount);

    /// <summary>Total worker time spent inside the operator, in <see cref="Stopwatch"/> ticks.</summary>
    public long BusyTicks => Volatile.Read(ref _busyTicks);

    internal Gauge.Child QueueDepthGauge { get; }
    internal Gauge.Child QueueCapacityGauge { get; }
    internal Gauge.Child WorkersGauge { get; }
    internal Gauge.Child BusyGauge { get; }
    internal Gauge.Child RateGauge { get; }

    /// <summary>Records one processed batch.</summary>
    internal void RecordBatch(int eventsIn, int eventsOut, int failed, long busyTicks)
    {
        var discarded = eventsIn - eventsOut - failed;
        Interlocked.Add(ref _eventsIn, eventsIn);
        Interlocked.Add(ref _eventsOut, eventsOut);
        Interlocked.Increment(ref _batchCount);
        Interlocked.Add(ref _busyTicks, busyTicks);
        _in.Inc(eventsIn);
        _out.Inc(eventsOut);
        _batches.Inc();
        if (failed > 0)
        {
            Interlocked.Add(ref _failedCount, failed);
            _failed.Inc(failed);
        }

        if (discarded > 0)
        {
            Interlocked.Add(ref _discardedCount, discarded);
            _discarded.Inc(discarded);
        }

        _seconds.Observe(busyTicks / (double)Stopwatch.Frequency);
    }

    /// <summary>Records events a source emitted, or had to discard before they entered the pipeline.</summary>
    internal void RecordSourceBatch(int emitted, int discarded)
    {
        Interlocked.Add(ref _eventsIn, emitted + discarded);
        _in.Inc(emitted + discarded);
        Interlocked.Add(ref _eventsOut, emitted);
        _out.Inc(emitted);
        Interlocked.Increment(ref _batchCount);
        _batches.Inc();
        if (discarded > 0)
        {
            Interlocked.Add(ref _discardedCount, discarded);
            _discarded.Inc(discarded);
        }
    }
}

using Prometheus;

namespace Streams.Engine.Metrics;

/// <summary>
/// The Prometheus families every stage publishes (all prefixed <c>streams_</c>), created once per registry. Each stage
/// caches its labelled children (<see cref="Runtime.StageStats"/>) and updates them once per batch.
/// </summary>
internal sealed class StageMetrics
{
    private static readonly string[] Labels = ["pipeline", "stage", "kind"];

    public StageMetrics(CollectorRegistry registry)
    {
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        EventsIn = f.CreateCounter("streams_stage_events_in_total", "Events that entered the stage.", Labels);
        EventsOut = f.CreateCounter("streams_stage_events_out_total", "Events the stage emitted downstream (sinks: consumed).", Labels);
        Batches = f.CreateCounter("streams_stage_batches_total", "Batches the stage processed.", Labels);
        Failed = f.CreateCounter("streams_stage_events_failed_total", "Events the stage's operator failed.", Labels);
        Discarded = f.CreateCounter("streams_stage_events_discarded_total", "Events the stage dropped on purpose (filters, full queues in front of sockets).", Labels);
        QueueDepth = f.CreateGauge("streams_stage_queue_depth", "Batches waiting in the stage's input queue.", Labels);
        QueueCapacity = f.CreateGauge("streams_stage_queue_capacity", "Capacity of the stage's input queue, in batches.", Labels);
        Workers = f.CreateGauge("streams_stage_workers", "Workers (threads) serving the stage now.", Labels);
        BusyFraction = f.CreateGauge("streams_stage_busy_fraction", "Fraction of worker time spent processing over the last sample interval (utilisation).", Labels);
        EventRate = f.CreateGauge("streams_stage_events_per_second", "Events out per second over the last sample interval.", Labels);
        ProcessingSeconds = f.CreateHistogram("streams_stage_batch_processing_seconds", "Time to process one batch.", new HistogramConfiguration
        {
            LabelNames = Labels,
            // 1 us .. ~4 s in factors of 4: a no-op batch takes microseconds, a batch of tracking hundreds of ms.
            Buckets = Histogram.ExponentialBuckets(1e-6, 4, 12),
        });
    }

    public Counter EventsIn { get; }
    public Counter EventsOut { get; }
    public Counter Batches { get; }
    public Counter Failed { get; }
    public Counter Discarded { get; }
    public Gauge QueueDepth { get; }
    public Gauge QueueCapacity { get; }
    public Gauge Workers { get; }
    public Gauge BusyFraction { get; }
    public Gauge EventRate { get; }
    public Histogram ProcessingSeconds { get; }
}

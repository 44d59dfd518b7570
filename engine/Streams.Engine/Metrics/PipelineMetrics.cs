using Prometheus;
using Streams.Engine.Accounting;

namespace Streams.Engine.Metrics;

/// <summary>Run-level families: the books of <see cref="RunAccounts"/>, published at scrape time.</summary>
internal sealed class PipelineMetrics
{
    public PipelineMetrics(CollectorRegistry registry, string pipeline, RunAccounts accounts)
    {
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        string[] labels = ["pipeline"];
        var received = f.CreateCounter("streams_events_received_total", "Events that entered the pipeline from its sources.", labels).WithLabels(pipeline);
        var processed = f.CreateCounter("streams_events_processed_total", "Events delivered to every sink on their paths.", labels).WithLabels(pipeline);
        var failed = f.CreateCounter("streams_events_failed_total", "Events an operator failed.", labels).WithLabels(pipeline);
        var discarded = f.CreateCounter("streams_events_discarded_total", "Events dropped (filtered, or discarded at a full queue).", labels).WithLabels(pipeline);
        var inFlight = f.CreateGauge("streams_events_in_flight", "Events received and not yet processed, failed or discarded.", labels).WithLabels(pipeline);
        f.CreateGauge("streams_pipeline_info", "Constant 1, labelled with the pipeline name and Streams version.", ["pipeline", "version"])
            .WithLabels(pipeline, typeof(PipelineMetrics).Assembly.GetName().Version?.ToString() ?? "0").Set(1);
        registry.AddBeforeCollectCallback(() =>
        {
            received.IncTo(accounts.Received);
            processed.IncTo(accounts.Processed);
            failed.IncTo(accounts.Failed);
            discarded.IncTo(accounts.Discarded);
            inFlight.Set(accounts.InFlight);
        });
    }
}

using Prometheus;

namespace Streams.Transports.ZeroMq.Working;

/// <summary>
/// A worker process's own Prometheus families (<c>streams_worker_process_*</c>), served by <c>streams worker
/// --metrics-listen</c>; the coordinator's <c>streams_worker_*</c> families describe the same worker from the other end.
/// </summary>
internal sealed class WorkerMetrics(IMetricFactory f)
{
    public Counter Batches { get; } = f.CreateCounter("streams_worker_process_batches_total", "Batches this worker processed and answered.");

    public Counter Events { get; } = f.CreateCounter("streams_worker_process_events_total", "Events in the batches this worker received.");

    public Gauge Held { get; } = f.CreateGauge("streams_worker_process_batches_held", "Batches held now (processing or queued here).");

    public Gauge Threads { get; } = f.CreateGauge("streams_worker_process_threads", "Processing threads of the stages this worker runs.");

    public Gauge Connected { get; } = f.CreateGauge("streams_worker_process_connected", "1 while the coordinator has admitted this worker, else 0.");
}

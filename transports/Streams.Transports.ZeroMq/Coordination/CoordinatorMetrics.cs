using Prometheus;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>The coordinator's Prometheus families (<c>streams_workers_*</c>, <c>streams_worker_*</c>).</summary>
internal sealed class CoordinatorMetrics
{
    private readonly Gauge _inFlight;
    private readonly Counter _sent, _acked, _missed;

    public CoordinatorMetrics(IMetricFactory f)
    {
        Alive = f.CreateGauge("streams_workers_alive", "Worker processes connected now.");
        Waiting = f.CreateGauge("streams_workers_batches_waiting", "Batches waiting for a worker with credit.");
        Joined = f.CreateCounter("streams_workers_joined_total", "Workers admitted.");
        Left = f.CreateCounter("streams_workers_left_total", "Workers that left after draining.");
        Died = f.CreateCounter("streams_workers_died_total", "Workers declared dead after missing heartbeats.");
        Rejected = f.CreateCounter("streams_workers_refused_total", "Join attempts refused (key not allowed, protocol mismatch).");
        Resent = f.CreateCounter("streams_workers_batches_resent_total", "Batches sent again because their worker died.");
        Duplicates = f.CreateCounter("streams_workers_duplicate_events_total", "Events of batches answered twice, suppressed.");
        Malformed = f.CreateCounter("streams_workers_malformed_messages_total", "Messages from workers that did not follow the protocol.");
        _inFlight = f.CreateGauge("streams_worker_inflight_batches", "Batches a worker holds now.", ["worker"]);
        _sent = f.CreateCounter("streams_worker_batches_sent_total", "Batches sent to a worker.", ["worker"]);
        _acked = f.CreateCounter("streams_worker_batches_acked_total", "Batches a worker answered.", ["worker"]);
        _missed = f.CreateCounter("streams_worker_heartbeats_missed_total", "Heartbeat intervals a worker stayed silent.", ["worker"]);
    }

    public Gauge Alive { get; }
    public Gauge Waiting { get; }
    public Counter Joined { get; }
    public Counter Left { get; }
    public Counter Died { get; }
    public Counter Rejected { get; }
    public Counter Resent { get; }
    public Counter Duplicates { get; }
    public Counter Malformed { get; }

    public Gauge.Child InFlight(string worker) => _inFlight.WithLabels(worker);

    public Counter.Child Sent(string worker) => _sent.WithLabels(worker);

    public Counter.Child Acked(string worker) => _acked.WithLabels(worker);

    public Counter.Child Missed(string worker) => _missed.WithLabels(worker);
}

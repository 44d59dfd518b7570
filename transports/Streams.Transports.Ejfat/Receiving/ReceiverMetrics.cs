using Prometheus;

namespace Streams.Transports.Ejfat.Receiving;

/// <summary>The receiver's <c>streams_ejfat_*</c> families, refreshed every 100 ms from the threads' counters.</summary>
internal sealed class ReceiverMetrics
{
    private readonly Counter _packets;
    private readonly Counter _bytes;
    private readonly Counter _completed;
    private readonly Counter.Child _lostTimeout, _lostMemory, _lostQueueFull, _lostStopped;
    private readonly Counter.Child _dropBadHeader, _dropBadSegment, _dropDuplicate, _dropConflict;
    private readonly Gauge _pendingEvents, _pendingBytes, _fill, _signal;

    public ReceiverMetrics(IMetricFactory f)
    {
        _packets = f.CreateCounter("streams_ejfat_packets_total", "EJFAT datagrams received.");
        _bytes = f.CreateCounter("streams_ejfat_bytes_total", "Payload bytes placed into events.");
        _completed = f.CreateCounter("streams_ejfat_events_completed_total", "Events fully reassembled.");
        var lost = f.CreateCounter("streams_ejfat_events_lost_total", "Events lost, by reason.", ["reason"]);
        _lostTimeout = lost.WithLabels("timeout");
        _lostMemory = lost.WithLabels("memory_cap");
        _lostQueueFull = lost.WithLabels("queue_full");
        _lostStopped = lost.WithLabels("incomplete_at_stop");
        var dropped = f.CreateCounter("streams_ejfat_packets_dropped_total", "Datagrams dropped, by reason.", ["reason"]);
        _dropBadHeader = dropped.WithLabels("bad_header");
        _dropBadSegment = dropped.WithLabels("bad_segment");
        _dropDuplicate = dropped.WithLabels("duplicate");
        _dropConflict = dropped.WithLabels("conflict");
        _pendingEvents = f.CreateGauge("streams_ejfat_pending_events", "Events being reassembled.");
        _pendingBytes = f.CreateGauge("streams_ejfat_pending_bytes", "Buffer bytes held by events being reassembled.");
        _fill = f.CreateGauge("streams_ejfat_fill_fraction", "Fill fraction of the queue the receiver feeds (feedback input).");
        _signal = f.CreateGauge("streams_ejfat_control_signal", "PID control signal for the load balancer (feedback output).");
    }

    public void Publish(ReceiverStats s, QueueFeedback feedback)
    {
        _packets.IncTo(s.Packets);
        _bytes.IncTo(s.Bytes);
        _completed.IncTo(s.EventsCompleted);
        _lostTimeout.IncTo(s.EventsLostTimeout);
        _lostMemory.IncTo(s.EventsLostMemory);
        _lostQueueFull.IncTo(s.EventsLostQueueFull);
        _lostStopped.IncTo(s.EventsLostStopped);
        _dropBadHeader.IncTo(s.PacketsBadHeader);
        _dropBadSegment.IncTo(s.PacketsBadSegment);
        _dropDuplicate.IncTo(s.PacketsDuplicate);
        _dropConflict.IncTo(s.PacketsConflict);
        _pendingEvents.Set(s.PendingEvents);
        _pendingBytes.Set(s.PendingBytes);
        _fill.Set(feedback.Fill);
        _signal.Set(feedback.Signal);
    }
}

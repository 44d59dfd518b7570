namespace Streams.Transports.Ejfat.Receiving;

/// <summary>
/// Counters of one reassembler (written by its receive thread only, read by anyone). Every datagram is either placed
/// or dropped for a reason, and every event either completes or is lost for a reason.
/// </summary>
internal sealed class ReceiverStats
{
    public long Packets;
    public long Bytes;
    public long PacketsBadHeader;
    public long PacketsBadSegment;
    public long PacketsDuplicate;

    /// <summary>Segments received before with other bytes (same event, same offset): dropped, the first one stays.</summary>
    public long PacketsConflict;
    public long EventsCompleted;
    public long EventsLostTimeout;
    public long EventsLostMemory;
    public long EventsLostQueueFull;
    public long EventsLostStopped;

    /// <summary>Completed events not taken because the run's --events limit was reached (not a loss).</summary>
    public long EventsBeyondLimit;
    public long PendingEvents;
    public long PendingBytes;

    /// <summary>Adds <paramref name="other"/>'s counters to this one (aggregating receive threads).</summary>
    public void Add(ReceiverStats other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Packets += Volatile.Read(ref other.Packets);
        Bytes += Volatile.Read(ref other.Bytes);
        PacketsBadHeader += Volatile.Read(ref other.PacketsBadHeader);
        PacketsBadSegment += Volatile.Read(ref other.PacketsBadSegment);
        PacketsDuplicate += Volatile.Read(ref other.PacketsDuplicate);
        PacketsConflict += Volatile.Read(ref other.PacketsConflict);
        EventsCompleted += Volatile.Read(ref other.EventsCompleted);
        EventsLostTimeout += Volatile.Read(ref other.EventsLostTimeout);
        EventsLostMemory += Volatile.Read(ref other.EventsLostMemory);
        EventsLostQueueFull += Volatile.Read(ref other.EventsLostQueueFull);
        EventsLostStopped += Volatile.Read(ref other.EventsLostStopped);
        EventsBeyondLimit += Volatile.Read(ref other.EventsBeyondLimit);
        PendingEvents += Volatile.Read(ref other.PendingEvents);
        PendingBytes += Volatile.Read(ref other.PendingBytes);
    }

    /// <summary>The <c>"ejfat"</c> section of the run summary.</summary>
    public object ToSummary() => new
    {
        packets = Packets,
        bytes = Bytes,
        eventsCompleted = EventsCompleted,
        eventsBeyondLimit = EventsBeyondLimit,
        eventsLost = new
        {
            timeout = EventsLostTimeout,
            memoryCap = EventsLostMemory,
            queueFull = EventsLostQueueFull,
            incompleteAtStop = EventsLostStopped,
        },
        packetsDropped = new
        {
            badHeader = PacketsBadHeader,
            badSegment = PacketsBadSegment,
            duplicate = PacketsDuplicate,
            conflict = PacketsConflict,
        },
    };
}

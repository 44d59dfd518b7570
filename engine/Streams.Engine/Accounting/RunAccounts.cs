namespace Streams.Engine.Accounting;

/// <summary>
/// The books of one run: every event a source emits is <c>received</c>, and ends exactly once as processed, failed or
/// discarded. <see cref="InFlight"/> is what has not ended yet; it is zero after a clean drain.
/// </summary>
internal sealed class RunAccounts
{
    private long _received;
    private long _processed;
    private long _failed;
    private long _discarded;

    public long Received => Volatile.Read(ref _received);
    public long Processed => Volatile.Read(ref _processed);
    public long Failed => Volatile.Read(ref _failed);
    public long Discarded => Volatile.Read(ref _discarded);

    /// <summary>Events received but not yet processed, failed or discarded.</summary>
    public long InFlight => Received - Processed - Failed - Discarded;

    internal void AddReceived(long n) => Interlocked.Add(ref _received, n);

    /// <summary>A source that had to drop events before they entered the pipeline (a full queue in front of a UDP socket).</summary>
    internal void AddReceivedAndDiscarded(long n)
    {
        Interlocked.Add(ref _discarded, n);
        Interlocked.Add(ref _received, n);
    }

    internal void AddOutcome(long processed, long failed, long discarded)
    {
        if (processed != 0) Interlocked.Add(ref _processed, processed);
        if (failed != 0) Interlocked.Add(ref _failed, failed);
        if (discarded != 0) Interlocked.Add(ref _discarded, discarded);
    }
}

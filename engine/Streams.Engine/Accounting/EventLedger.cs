using System.Buffers;

namespace Streams.Engine.Accounting;

/// <summary>
/// Tracks the fate of the events of one source batch across every batch derived from it (copies for fan-out, batches
/// a processor builds from it) and settles them into <see cref="RunAccounts"/> when the last of those is disposed.
/// An event is processed when every path it was sent down delivered it to a sink, failed when any operator failed it,
/// and discarded otherwise (filtered out, or dropped on the way).
/// </summary>
/// <remarks>
/// One object per source batch (a few thousand a second), two pooled arrays of one entry per event. Paths only grow
/// while at least one reference is alive, so the count is final when the last reference goes.
/// </remarks>
internal sealed class EventLedger
{
    private readonly RunAccounts _accounts;
    private readonly int _count;
    private byte[]? _failed;
    private int[]? _delivered;
    private int _refs = 1;
    private int _paths = 1;

    internal EventLedger(RunAccounts accounts, int count)
    {
        _accounts = accounts;
        _count = count;
        _failed = ArrayPool<byte>.Shared.Rent(count);
        _delivered = ArrayPool<int>.Shared.Rent(count);
        Array.Clear(_failed, 0, count);
        Array.Clear(_delivered, 0, count);
    }

    internal int Count => _count;

    /// <summary>Another batch now refers to these events (a processor built its output from them).</summary>
    internal void Retain() => Interlocked.Increment(ref _refs);

    /// <summary>A copy of the batch goes down one more path (fan-out).</summary>
    internal void AddPath()
    {
        Interlocked.Increment(ref _paths);
        Interlocked.Increment(ref _refs);
    }

    internal void MarkFailed(int slot) => Volatile.Write(ref _failed![slot], 1);

    internal void MarkDelivered(ReadOnlySpan<int> slots)
    {
        var delivered = _delivered!;
        foreach (var s in slots)
        {
            Interlocked.Increment(ref delivered[s]);
        }
    }

    internal void Release()
    {
        var left = Interlocked.Decrement(ref _refs);
        if (left == 0)
        {
            Settle();
        }
        System.Diagnostics.Debug.Assert(left >= 0, "ledger released more often than retained");
    }

    private void Settle()
    {
        var failed = _failed!;
        var delivered = _delivered!;
        var paths = Volatile.Read(ref _paths);
        long ok = 0, bad = 0, dropped = 0;
        for (var i = 0; i < _count; i++)
        {
            if (failed[i] != 0) bad++;
            else if (delivered[i] >= paths) ok++;
            else dropped++;
        }

        _accounts.AddOutcome(ok, bad, dropped);
        ArrayPool<byte>.Shared.Return(failed);
        ArrayPool<int>.Shared.Return(delivered);
        _failed = null;
        _delivered = null;
    }
}

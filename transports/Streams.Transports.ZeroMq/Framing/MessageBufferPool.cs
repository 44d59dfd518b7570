using System.Numerics;
using NetMQ;

namespace Streams.Transports.ZeroMq.Framing;

/// <summary>
/// The pool NetMQ takes its message buffers from (<see cref="BufferPool.SetCustomBufferPool"/>): power-of-two buckets,
/// each a stack of buffers returned earlier, up to <see cref="MaxPooledBytes"/> in all. Buffers are handed out
/// uninitialised (NetMQ overwrites them) and reused while still in the cache, which is what makes 1 MiB messages cheap:
/// NetMQ's own <c>BufferManager</c> pool tunes its buckets slowly, so with hundreds of large messages in flight most
/// of them were new large-object-heap arrays whose fresh pages the kernel had to zero (measured: 8 % of a 1 MiB
/// PUSH/PULL run in <c>clear_page</c>, another 30 % in the copy that touched them).
/// </summary>
public sealed class MessageBufferPool : IBufferPool
{
    private const int MinShift = 8; // 256 B
    private const int MaxShift = 26; // 64 MiB; larger buffers are not pooled
    private readonly Stack<byte[]>[] _buckets = new Stack<byte[]>[MaxShift - MinShift + 1];
    private long _pooledBytes;
    private long _allocations;
    private long _reuses;

    public MessageBufferPool(long maxPooledBytes = 256L * 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPooledBytes);
        MaxPooledBytes = maxPooledBytes;
        for (var i = 0; i < _buckets.Length; i++) _buckets[i] = new Stack<byte[]>();
    }

    /// <summary>The most bytes kept for reuse; buffers returned beyond it are left to the GC.</summary>
    public long MaxPooledBytes { get; }

    /// <summary>Bytes now kept for reuse.</summary>
    public long PooledBytes => Interlocked.Read(ref _pooledBytes);

    /// <summary>Buffers handed out that had to be allocated.</summary>
    public long Allocations => Interlocked.Read(ref _allocations);

    /// <summary>Buffers handed out again from the pool.</summary>
    public long Reuses => Interlocked.Read(ref _reuses);

    public byte[] Take(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var shift = Shift(size);
        if (shift > MaxShift)
        {
            Interlocked.Increment(ref _allocations);
            return GC.AllocateUninitializedArray<byte>(size);
        }

        var bucket = _buckets[shift - MinShift];
        lock (bucket)
        {
            if (bucket.TryPop(out var buffer))
            {
                Interlocked.Add(ref _pooledBytes, -buffer.Length);
                Interlocked.Increment(ref _reuses);
                return buffer;
            }
        }

        Interlocked.Increment(ref _allocations);
        return GC.AllocateUninitializedArray<byte>(1 << shift);
    }

    public void Return(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        var shift = Shift(buffer.Length);
        if (shift > MaxShift || buffer.Length != 1 << shift) return; // not one of ours
        if (Interlocked.Add(ref _pooledBytes, buffer.Length) > MaxPooledBytes)
        {
            Interlocked.Add(ref _pooledBytes, -buffer.Length);
            return;
        }

        var bucket = _buckets[shift - MinShift];
        lock (bucket) bucket.Push(buffer);
    }

    /// <summary>Whether <paramref name="buffer"/> is now kept for reuse.</summary>
    internal bool Holds(byte[] buffer)
    {
        var shift = Shift(buffer.Length);
        if (shift > MaxShift) return false;
        var bucket = _buckets[shift - MinShift];
        lock (bucket) return bucket.Contains(buffer);
    }

    public void Dispose()
    {
        foreach (var bucket in _buckets)
        {
            lock (bucket) bucket.Clear();
        }

        Interlocked.Exchange(ref _pooledBytes, 0);
    }

    private static int Shift(int size) => size <= 1 << MinShift ? MinShift : 32 - BitOperations.LeadingZeroCount((uint)size - 1);
}

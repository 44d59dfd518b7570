using System.Buffers;
using System.Diagnostics;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Transports.Ejfat.Receiving;

/// <summary>Whether datagrams carry an LB header in front of the RE header.</summary>
public enum LbHeaderMode
{
    /// <summary>Skip an LB header when the datagram starts with the 'LB' magic.</summary>
    Auto,
    Yes,
    No,
}

/// <summary>What happens to a completed event; called synchronously.</summary>
internal interface ICompletedEventSink
{
    /// <summary>
    /// The event is <paramref name="buffer"/>[0..<paramref name="length"/>], a buffer rented from
    /// <see cref="ArrayPool{T}.Shared"/>. Return true to take ownership of it (it is then the taker's to return);
    /// false to leave it to the reassembler, in which case it is valid only during the call.
    /// </summary>
    bool OnEvent(byte[] buffer, int length, ulong eventNumber, ushort dataId, ulong tick);
}

/// <summary>
/// Rebuilds events from EJFAT segments, keyed by (eventNum, dataId), into pooled buffers. Unlike the reference
/// receivers it tolerates any arrival order (a late offset-0 segment included), ignores and counts duplicates (the
/// same bytes again) and conflicts (a segment already received, with other bytes: the first one stays), drops
/// and counts segments that fall outside the event or disagree on its length, evicts incomplete events after a
/// timeout and under a memory cap, and never allocates per datagram once warm. One instance per receive thread.
/// </summary>
internal sealed class Reassembler
{
    private const int RecentCapacity = 4096;

    private readonly Dictionary<EventKey, Pending> _pending = new();
    private readonly Stack<Pending> _free = new();
    private readonly ArrayPool<byte> _buffers = ArrayPool<byte>.Shared; // shared, so a completed buffer can travel on in a batch
    private readonly ICompletedEventSink _sink;
    private readonly LbHeaderMode _lbMode;
    private readonly long _maxEventBytes;
    private readonly long _memoryCap;
    private readonly long _timeoutTicks;

    // Keys of recently completed events: a late duplicate of a finished event is counted, not started afresh.
    private readonly HashSet<EventKey> _recent = new(RecentCapacity);
    private readonly EventKey[] _recentRing = new EventKey[RecentCapacity];
    private int _recentNext;

    public Reassembler(ICompletedEventSink sink, LbHeaderMode lbMode = LbHeaderMode.Auto, long maxEventBytes = 64L << 20, long memoryCapBytes = 256L << 20, TimeSpan? timeout = null)
    {
        _sink = sink;
        _lbMode = lbMode;
        _maxEventBytes = maxEventBytes;
        _memoryCap = memoryCapBytes;
        _timeoutTicks = (long)((timeout ?? TimeSpan.FromMilliseconds(500)).TotalSeconds * Stopwatch.Frequency);
    }

    public ReceiverStats Stats { get; } = new();

    /// <summary>Places one datagram (LB header optional, RE header, payload segment).</summary>
    public void Place(ReadOnlySpan<byte> datagram, long now)
    {
        var s = Stats;
        s.Packets++;
        ulong? tick = null;
        if (_lbMode == LbHeaderMode.Yes || (_lbMode == LbHeaderMode.Auto && LbHeader.HasMagic(datagram)))
        {
            if (!LbHeader.TryRead(datagram, out var lb))
            {
                s.PacketsBadHeader++;
                return;
            }

            tick = lb.Tick;
            datagram = datagram[LbHeader.Size..];
        }

        if (!ReHeader.TryRead(datagram, out var re))
        {
            s.PacketsBadHeader++;
            return;
        }

        var payload = datagram[ReHeader.Size..];
        long offset = re.BufferOffset, length = re.BufferLength, end = offset + payload.Length;
        // An event larger than the memory cap could never be held within it: dropped like one beyond max-event.
        if (length > _maxEventBytes || length > _memoryCap || end > length || (payload.Length == 0 && length != 0))
        {
            s.PacketsBadSegment++;
            return;
        }

        var key = new EventKey(re.EventNumber, re.DataId);
        if (!_pending.TryGetValue(key, out var ev))
        {
            if (_recent.Contains(key))
            {
                s.PacketsDuplicate++; // the event is gone: its bytes cannot be compared any more
                return;
            }

            // The cap counts the buffers held (the pool rounds a rental up), so it is checked against the buffer itself.
            var buffer = _buffers.Rent((int)Math.Max(length, 1));
            if (buffer.Length > _memoryCap)
            {
                _buffers.Return(buffer);
                s.PacketsBadSegment++;
                return;
            }

            while (_pending.Count > 0 && s.PendingBytes + buffer.Length > _memoryCap)
            {
                EvictOldest();
            }

            ev = _free.Count > 0 ? _free.Pop() : new Pending();
            // The tick travels in the LB header; without one (stripped by the load balancer) the event number stands in, as in E2SAR.
            ev.Start(buffer, (int)length, re.EventNumber, re.DataId, tick ?? re.EventNumber, now);
            _pending.Add(key, ev);
            s.PendingEvents++;
            s.PendingBytes += ev.Buffer.Length;
        }
        else if (ev.Length != length)
        {
            s.PacketsBadSegment++; // disagrees with the event's first segment about its length
            return;
        }

        switch (ev.Insert((int)offset, (int)end))
        {
            case Placement.Duplicate:
                // Its bytes are in the buffer already: the same bytes are a duplicate, others a conflict (kept out).
                if (payload.SequenceEqual(ev.Buffer.AsSpan((int)offset, payload.Length))) s.PacketsDuplicate++;
                else s.PacketsConflict++;
                return;
            case Placement.Overlap:
                s.PacketsBadSegment++;
                return;
        }

        payload.CopyTo(ev.Buffer.AsSpan((int)offset));
        ev.Received += payload.Length;
        ev.LastSeen = now;
        s.Bytes += payload.Length;
        if (ev.Received == ev.Length) Complete(key, ev);
    }

    /// <summary>Evicts incomplete events not touched for longer than the timeout; returns how many.</summary>
    public int EvictExpired(long now)
    {
        var n = 0;
        foreach (var (key, ev) in _pending)
        {
            if (now - ev.LastSeen <= _timeoutTicks) continue;
            Remove(key, ev);
            Stats.EventsLostTimeout++;
            n++;
        }

        return n;
    }

    /// <summary>Drops every incomplete event (end of run); returns how many.</summary>
    public int DropAll()
    {
        var n = _pending.Count;
        foreach (var (key, ev) in _pending) Remove(key, ev);
        Stats.EventsLostStopped += n;
        return n;
    }

    private void Complete(EventKey key, Pending ev)
    {
        _pending.Remove(key);
        Stats.PendingEvents--;
        Stats.PendingBytes -= ev.Buffer.Length;
        Stats.EventsCompleted++;
        var taken = false;
        try
        {
            taken = _sink.OnEvent(ev.Buffer, ev.Length, ev.EventNumber, ev.DataId, ev.Tick);
        }
        finally
        {
            if (taken) ev.Buffer = [];
            Release(ev);
            Remember(key);
        }
    }

    private void EvictOldest()
    {
        EventKey oldestKey = default;
        Pending? oldest = null;
        foreach (var (key, ev) in _pending)
        {
            if (oldest is null || ev.FirstSeen < oldest.FirstSeen)
            {
                oldest = ev;
                oldestKey = key;
            }
        }

        Remove(oldestKey, oldest!);
        Stats.EventsLostMemory++;
    }

    private void Remove(EventKey key, Pending ev)
    {
        _pending.Remove(key);
        Stats.PendingEvents--;
        Stats.PendingBytes -= ev.Buffer.Length;
        Release(ev);
        Remember(key); // late segments of a lost event are counted as duplicates, not a new event
    }

    private void Release(Pending ev)
    {
        if (ev.Buffer.Length > 0) _buffers.Return(ev.Buffer);
        ev.Buffer = [];
        _free.Push(ev);
    }

    private void Remember(EventKey key)
    {
        var old = _recentRing[_recentNext];
        if (_recent.Count == RecentCapacity) _recent.Remove(old);
        _recentRing[_recentNext] = key;
        _recentNext = (_recentNext + 1) % RecentCapacity;
        _recent.Add(key);
    }

    private readonly record struct EventKey(ulong EventNumber, ushort DataId);

    private enum Placement
    {
        Placed,
        Duplicate,
        Overlap,
    }

    /// <summary>An event being rebuilt: its buffer and the byte ranges received so far (sorted, disjoint, merged).</summary>
    private sealed class Pending
    {
        private int[] _ranges = new int[16]; // start0, end0, start1, end1, ...
        private int _count;                   // number of ranges

        public byte[] Buffer = [];
        public int Length;
        public int Received;
        public ulong EventNumber;
        public ushort DataId;
        public ulong Tick;
        public long FirstSeen;
        public long LastSeen;

        public void Start(byte[] buffer, int length, ulong eventNumber, ushort dataId, ulong tick, long now)
        {
            Buffer = buffer;
            Length = length;
            Received = 0;
            EventNumber = eventNumber;
            DataId = dataId;
            Tick = tick;
            FirstSeen = now;
            LastSeen = now;
            _count = 0;
        }

        public Placement Insert(int start, int end)
        {
            if (start == end) return _count == 0 ? Placement.Placed : Placement.Duplicate; // empty event
            // Fast path: in-order arrival extends the last range.
            if (_count > 0 && _ranges[(2 * _count) - 1] == start)
            {
                _ranges[(2 * _count) - 1] = end;
                return Placement.Placed;
            }

            // idx = first range whose start is > start
            int lo = 0, hi = _count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (_ranges[2 * mid] <= start) lo = mid + 1;
                else hi = mid;
            }

            var idx = lo;
            var prevOverlaps = idx > 0 && _ranges[(2 * idx) - 1] > start;
            if (prevOverlaps)
            {
                return _ranges[(2 * idx) - 2] <= start && end <= _ranges[(2 * idx) - 1] ? Placement.Duplicate : Placement.Overlap;
            }

            if (idx < _count && end > _ranges[2 * idx]) return Placement.Overlap;

            var joinsPrev = idx > 0 && _ranges[(2 * idx) - 1] == start;
            var joinsNext = idx < _count && _ranges[2 * idx] == end;
            if (joinsPrev && joinsNext)
            {
                _ranges[(2 * idx) - 1] = _ranges[(2 * idx) + 1];
                Array.Copy(_ranges, 2 * (idx + 1), _ranges, 2 * idx, 2 * (_count - idx - 1));
                _count--;
            }
            else if (joinsPrev)
            {
                _ranges[(2 * idx) - 1] = end;
            }
            else if (joinsNext)
            {
                _ranges[2 * idx] = start;
            }
            else
            {
                if (2 * (_count + 1) > _ranges.Length) Array.Resize(ref _ranges, _ranges.Length * 2);
                Array.Copy(_ranges, 2 * idx, _ranges, 2 * (idx + 1), 2 * (_count - idx));
                _ranges[2 * idx] = start;
                _ranges[(2 * idx) + 1] = end;
                _count++;
            }

            return Placement.Placed;
        }
    }
}

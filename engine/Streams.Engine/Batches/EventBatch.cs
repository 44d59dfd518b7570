using System.Buffers;
using Apache.Arrow;
using Streams.Engine.Accounting;

namespace Streams.Engine.Batches;

/// <summary>
/// A batch of events: the unit that crosses every queue. It holds a declared <see cref="DataType"/>, per-event
/// metadata, and a payload that is either pooled bytes with offsets or an Arrow <see cref="RecordBatch"/> (one row per
/// event). The last consumer disposes it, which returns pooled memory and settles the events' accounting.
/// </summary>
public sealed class EventBatch : IDisposable
{
    private EventMeta[] _meta;
    private int[] _slots;
    private byte[]? _bytes;
    private int[]? _offsets; // Count + 1 entries; payload i = _bytes[_offsets[i] .. _offsets[i + 1]]
    private SharedRecords? _records;
    private EventLedger? _ledger;
    private int _count;
    private int _disposed;

    internal EventBatch(string dataType, EventMeta[] meta, int[] slots, int count, byte[]? bytes, int[]? offsets, SharedRecords? records, EventLedger? ledger)
    {
        DataType = dataType;
        _meta = meta;
        _slots = slots;
        _count = count;
        _bytes = bytes;
        _offsets = offsets;
        _records = records;
        _ledger = ledger;
    }

    /// <summary>Mime-like type of the payload, for example <c>binary/synthetic</c> or <c>arrow/clas12-hits</c>.</summary>
    public string DataType { get; }

    /// <summary>Number of events.</summary>
    public int Count => _count;

    /// <summary>Metadata of every event, in order.</summary>
    public ReadOnlySpan<EventMeta> Meta => _meta.AsSpan(0, _count);

    /// <summary>The Arrow payload, or null when the payload is raw bytes.</summary>
    public RecordBatch? Records => _records?.Batch;

    /// <summary>Whether the payload is raw bytes per event.</summary>
    public bool HasBytes => _offsets is not null;

    /// <summary>Total payload bytes (raw-byte batches) or 0.</summary>
    public int PayloadBytes => _offsets is null ? 0 : _offsets[_count] - _offsets[0];

    /// <summary>The raw payload of event <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> GetPayload(int index)
    {
        if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
        if (_offsets is null) throw new InvalidOperationException($"batch of type '{DataType}' carries an Arrow payload, not bytes");
        return _bytes.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);
    }

    /// <summary>Ledger slots of the events (their index in the source batch), for accounting.</summary>
    internal ReadOnlySpan<int> Slots => _slots.AsSpan(0, _count);

    internal EventLedger? Ledger => _ledger;

    /// <summary>Binds events a source just built to a new ledger: from now on each is accounted for.</summary>
    internal void AttachNewLedger(RunAccounts accounts)
    {
        if (_ledger is not null) throw new InvalidOperationException("batch already belongs to a ledger");
        _ledger = new EventLedger(accounts, _count);
        for (var i = 0; i < _count; i++) _slots[i] = i;
        accounts.AddReceived(_count);
    }

    /// <summary>Marks event <paramref name="index"/> failed in the run's books.</summary>
    internal void MarkFailed(int index) => _ledger?.MarkFailed(_slots[index]);

    /// <summary>Records that a sink consumed every event of this batch.</summary>
    internal void MarkDelivered() => _ledger?.MarkDelivered(Slots);

    /// <summary>A deep copy for a second consumer (fan-out); Arrow payloads are immutable and shared.</summary>
    internal EventBatch CloneForPath()
    {
        var meta = ArrayPool<EventMeta>.Shared.Rent(Math.Max(_count, 1));
        var slots = ArrayPool<int>.Shared.Rent(Math.Max(_count, 1));
        Meta.CopyTo(meta);
        Slots.CopyTo(slots);
        byte[]? bytes = null;
        int[]? offsets = null;
        if (_offsets is not null)
        {
            var start = _offsets[0];
            var len = _offsets[_count] - start;
            bytes = ArrayPool<byte>.Shared.Rent(Math.Max(len, 1));
            _bytes.AsSpan(start, len).CopyTo(bytes);
            offsets = ArrayPool<int>.Shared.Rent(_count + 1);
            for (var i = 0; i <= _count; i++) offsets[i] = _offsets[i] - start;
        }

        _records?.Retain();
        _ledger?.AddPath();
        return new EventBatch(DataType, meta, slots, _count, bytes, offsets, _records, _ledger);
    }

    /// <summary>
    /// Removes the events whose flag is set, keeping order (used after an operator failed some events of a batch it
    /// passes through). Arrow payloads are rebuilt without those rows.
    /// </summary>
    internal void RemoveEvents(ReadOnlySpan<bool> remove)
    {
        var w = 0;
        var writeByte = _offsets?[0] ?? 0;
        for (var r = 0; r < _count; r++)
        {
            if (remove[r]) continue;
            _meta[w] = _meta[r];
            _slots[w] = _slots[r];
            if (_offsets is not null)
            {
                var start = _offsets[r];
                var len = _offsets[r + 1] - start;
                if (writeByte != start) Buffer.BlockCopy(_bytes!, start, _bytes!, writeByte, len);
                _offsets[w] = writeByte;
                writeByte += len;
            }

            w++;
        }

        if (_offsets is not null) _offsets[w] = writeByte;
        if (_records is not null)
        {
            var keep = new List<int>(w);
            for (var r = 0; r < _count; r++) if (!remove[r]) keep.Add(r);
            var filtered = ArrowRows.Take(_records.Batch, keep);
            _records = new SharedRecords(filtered, parent: _records); // Take may share the old columns' memory
        }

        _count = w;
    }

    /// <summary>Returns pooled memory and settles accounting. Only the last consumer calls it; a second call is a no-op.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        ArrayPool<EventMeta>.Shared.Return(_meta);
        ArrayPool<int>.Shared.Return(_slots);
        if (_bytes is not null) ArrayPool<byte>.Shared.Return(_bytes);
        if (_offsets is not null) ArrayPool<int>.Shared.Return(_offsets);
        _records?.Release();
        _ledger?.Release();
        _meta = [];
        _slots = [];
        _bytes = null;
        _offsets = null;
        _records = null;
        _ledger = null;
        _count = 0;
    }

    /// <summary>
    /// Builds a batch with an Arrow payload whose rows are the events <paramref name="keptIndices"/> of
    /// <paramref name="input"/>, in that order (a decoder's output). The new batch takes over their accounting.
    /// </summary>
    public static EventBatch FromRecords(EventBatch input, ReadOnlySpan<int> keptIndices, string dataType, RecordBatch records)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(records);
        if (records.Length != keptIndices.Length)
        {
            throw new ArgumentException($"record batch has {records.Length} rows but {keptIndices.Length} events were kept", nameof(records));
        }

        var n = keptIndices.Length;
        var meta = ArrayPool<EventMeta>.Shared.Rent(Math.Max(n, 1));
        var slots = ArrayPool<int>.Shared.Rent(Math.Max(n, 1));
        var srcMeta = input.Meta;
        var srcSlots = input.Slots;
        for (var i = 0; i < n; i++)
        {
            meta[i] = srcMeta[keptIndices[i]];
            slots[i] = srcSlots[keptIndices[i]];
        }

        input._ledger?.Retain();
        input._records?.Retain(); // the new records may share the input's columns: keep their memory until both are gone
        return new EventBatch(dataType, meta, slots, n, null, null, new SharedRecords(records, parent: input._records), input._ledger);
    }

    /// <summary>
    /// Builds a batch of <paramref name="dataType"/> whose rows are all events of <paramref name="input"/>, in order (a
    /// processor that adds columns). Build <paramref name="records"/> with <see cref="ManagedArrowMemory"/> when it
    /// shares columns of the input.
    /// </summary>
    public static EventBatch FromRecords(EventBatch input, string dataType, RecordBatch records)
    {
        ArgumentNullException.ThrowIfNull(input);
        Span<int> all = input.Count <= 1024 ? stackalloc int[input.Count] : new int[input.Count];
        for (var i = 0; i < all.Length; i++) all[i] = i;
        return FromRecords(input, all, dataType, records);
    }

    /// <summary>
    /// A new batch of events with an Arrow payload (one row per event), for a source to emit; it takes ownership of
    /// <paramref name="records"/>, and of <paramref name="memory"/> when the columns are read in place from a buffer
    /// that must be returned (disposed) once neither this batch nor any batch derived from it can read them.
    /// </summary>
    public static EventBatch FromSource(ReadOnlySpan<EventMeta> meta, string dataType, RecordBatch records, IDisposable? memory = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Length != meta.Length) throw new ArgumentException($"record batch has {records.Length} rows for {meta.Length} events", nameof(records));
        var n = meta.Length;
        var m = ArrayPool<EventMeta>.Shared.Rent(Math.Max(n, 1));
        var slots = ArrayPool<int>.Shared.Rent(Math.Max(n, 1));
        meta.CopyTo(m);
        for (var i = 0; i < n; i++) slots[i] = i;
        return new EventBatch(dataType, m, slots, n, null, null, new SharedRecords(records, memory), null);
    }

    /// <summary>
    /// A new batch of raw-byte events for a source or a transport: event i is the next <paramref name="lengths"/>[i]
    /// bytes of <paramref name="payload"/> (copied into pooled memory).
    /// </summary>
    public static EventBatch FromBytes(ReadOnlySpan<EventMeta> meta, string dataType, ReadOnlySpan<byte> payload, ReadOnlySpan<int> lengths)
    {
        if (lengths.Length != meta.Length) throw new ArgumentException($"{lengths.Length} lengths for {meta.Length} events", nameof(lengths));
        var n = meta.Length;
        var m = ArrayPool<EventMeta>.Shared.Rent(Math.Max(n, 1));
        var slots = ArrayPool<int>.Shared.Rent(Math.Max(n, 1));
        var offsets = ArrayPool<int>.Shared.Rent(n + 1);
        meta.CopyTo(m);
        var total = 0;
        for (var i = 0; i < n; i++)
        {
            if (lengths[i] < 0) throw new ArgumentException($"event {i} has a negative length", nameof(lengths));
            slots[i] = i;
            offsets[i] = total;
            total += lengths[i];
        }

        offsets[n] = total;
        if (total != payload.Length) throw new ArgumentException($"event lengths add up to {total} bytes but the payload has {payload.Length}", nameof(lengths));
        var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        payload.CopyTo(bytes);
        return new EventBatch(dataType, m, slots, n, bytes, offsets, null, null);
    }

    /// <summary>
    /// For each event, its index in the batch a processor was given, when that batch came from
    /// <see cref="FromSource"/> or <see cref="FromBytes"/> (which number their events 0..n-1) and this one was derived
    /// from it: how a host outside a pipeline learns which input events an operator kept.
    /// </summary>
    public int[] SourceIndices() => Slots.ToArray();

    /// <summary>
    /// A one-event batch around a buffer rented from <see cref="ArrayPool{T}.Shared"/> (a receiver's reassembly
    /// buffer): the batch takes ownership and returns it to the pool when disposed. No copy is made.
    /// </summary>
    public static EventBatch FromPooledBytes(in EventMeta meta, string dataType, byte[] pooledBuffer, int length)
    {
        ArgumentNullException.ThrowIfNull(pooledBuffer);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, pooledBuffer.Length);
        var m = ArrayPool<EventMeta>.Shared.Rent(1);
        var slots = ArrayPool<int>.Shared.Rent(1);
        var offsets = ArrayPool<int>.Shared.Rent(2);
        m[0] = meta;
        slots[0] = 0;
        offsets[0] = 0;
        offsets[1] = length;
        return new EventBatch(dataType, m, slots, 1, pooledBuffer, offsets, null, null);
    }

    /// <summary>
    /// An Arrow record batch shared by fan-out copies, disposed with the last of them. Records derived from others
    /// (a processor's output, rows kept after a failure) hold a reference to their <c>parent</c>, since they may share
    /// its columns: memory is freed, or a pooled buffer (<c>memory</c>) returned, only when no batch can read it.
    /// </summary>
    internal sealed class SharedRecords(RecordBatch batch, IDisposable? memory = null, SharedRecords? parent = null)
    {
        private int _refs = 1;

        public RecordBatch Batch { get; } = batch;

        public void Retain() => Interlocked.Increment(ref _refs);

        public void Release()
        {
            if (Interlocked.Decrement(ref _refs) != 0) return;
            Batch.Dispose();
            memory?.Dispose();
            parent?.Release();
        }
    }
}

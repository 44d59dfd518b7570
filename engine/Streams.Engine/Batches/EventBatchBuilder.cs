using System.Buffers;

namespace Streams.Engine.Batches;

/// <summary>
/// Builds a raw-byte <see cref="EventBatch"/> in pooled memory. A source adds new events with
/// <see cref="Add(in EventMeta, ReadOnlySpan{byte})"/>; a processor that writes a new payload per input event uses
/// <see cref="AddFrom(EventBatch, int, ReadOnlySpan{byte})"/> so that the events keep their accounting.
/// A builder is reusable: <see cref="Build"/> hands its buffers to the batch and starts afresh.
/// </summary>
public sealed class EventBatchBuilder : IDisposable
{
    private readonly int _eventCapacity;
    private readonly int _byteCapacity;
    private EventMeta[]? _meta;
    private int[]? _slots;
    private int[]? _offsets;
    private byte[]? _bytes;
    private int _count;
    private int _byteLength;
    private EventBatch? _parent;

    /// <param name="eventCapacity">Initial number of events (grows as needed).</param>
    /// <param name="byteCapacity">Initial payload bytes (grows as needed).</param>
    public EventBatchBuilder(int eventCapacity = 256, int byteCapacity = 64 * 1024)
    {
        _eventCapacity = Math.Max(eventCapacity, 1);
        _byteCapacity = Math.Max(byteCapacity, 1);
    }

    /// <summary>Events added since the last <see cref="Build"/>.</summary>
    public int Count => _count;

    /// <summary>Payload bytes added since the last <see cref="Build"/>.</summary>
    public int ByteLength => _byteLength;

    /// <summary>Adds a new event and returns its payload area, <paramref name="payloadLength"/> bytes, to fill in.</summary>
    public Span<byte> AddEvent(in EventMeta meta, int payloadLength)
    {
        if (_parent is not null) throw new InvalidOperationException("a builder holds either new events or events derived from one batch, not both");
        return Append(meta, -1, payloadLength);
    }

    /// <summary>Adds a new event with a copy of <paramref name="payload"/>.</summary>
    public void Add(in EventMeta meta, ReadOnlySpan<byte> payload) => payload.CopyTo(AddEvent(meta, payload.Length));

    /// <summary>Adds event <paramref name="index"/> of <paramref name="source"/> with a new payload.</summary>
    public void AddFrom(EventBatch source, int index, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (_parent is null && _count > 0) throw new InvalidOperationException("a builder holds either new events or events derived from one batch, not both");
        if (_parent is not null && !ReferenceEquals(_parent, source)) throw new InvalidOperationException("all derived events of a batch must come from the same input batch");
        _parent = source;
        payload.CopyTo(Append(source.Meta[index], source.Slots[index], payload.Length));
    }

    /// <summary>Adds event <paramref name="index"/> of <paramref name="source"/> with its payload unchanged.</summary>
    public void AddFrom(EventBatch source, int index)
    {
        ArgumentNullException.ThrowIfNull(source);
        AddFrom(source, index, source.GetPayload(index));
    }

    /// <summary>Hands the events to a new batch of <paramref name="dataType"/> and resets the builder.</summary>
    public EventBatch Build(string dataType)
    {
        EnsureEvents(1);
        EnsureBytes(0);
        _offsets![_count] = _byteLength;
        var ledger = _parent?.Ledger;
        ledger?.Retain();
        var batch = new EventBatch(dataType, _meta!, _slots!, _count, _bytes, _offsets, null, ledger);
        _meta = null;
        _slots = null;
        _offsets = null;
        _bytes = null;
        _count = 0;
        _byteLength = 0;
        _parent = null;
        return batch;
    }

    private Span<byte> Append(in EventMeta meta, int slot, int payloadLength)
    {
        EnsureEvents(_count + 2);
        EnsureBytes(_byteLength + payloadLength);
        _meta![_count] = meta;
        _slots![_count] = slot;
        _offsets![_count] = _byteLength;
        var span = _bytes.AsSpan(_byteLength, payloadLength);
        _byteLength += payloadLength;
        _count++;
        return span;
    }

    private void EnsureEvents(int needed)
    {
        // offsets need Count + 1 entries, meta and slots Count.
        if (_meta is not null && _offsets!.Length >= needed && _meta.Length >= needed - 1) return;
        var size = Math.Max(needed, _meta is null ? _eventCapacity + 1 : _meta.Length * 2);
        _meta = Grow(_meta, size, _count);
        _slots = Grow(_slots, size, _count);
        _offsets = Grow(_offsets, size + 1, _count);
    }

    private void EnsureBytes(int needed)
    {
        if (_bytes is not null && _bytes.Length >= needed) return;
        var size = Math.Max(needed, _bytes is null ? _byteCapacity : _bytes.Length * 2);
        _bytes = Grow(_bytes, Math.Max(size, 1), _byteLength);
    }

    private static T[] Grow<T>(T[]? old, int size, int used)
    {
        var fresh = ArrayPool<T>.Shared.Rent(size);
        if (old is not null)
        {
            Array.Copy(old, fresh, used);
            ArrayPool<T>.Shared.Return(old);
        }

        return fresh;
    }

    /// <summary>Returns buffers of an unfinished batch to the pool.</summary>
    public void Dispose()
    {
        if (_meta is not null) ArrayPool<EventMeta>.Shared.Return(_meta);
        if (_slots is not null) ArrayPool<int>.Shared.Return(_slots);
        if (_offsets is not null) ArrayPool<int>.Shared.Return(_offsets);
        if (_bytes is not null) ArrayPool<byte>.Shared.Return(_bytes);
        _meta = null;
        _slots = null;
        _offsets = null;
        _bytes = null;
        _count = 0;
        _byteLength = 0;
        _parent = null;
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Streams.Engine.Batches;

namespace Streams.Transports.ZeroMq.Framing;

/// <summary>How a batch's payload frame is encoded.</summary>
public enum PayloadKind : byte
{
    /// <summary>An Apache Arrow IPC stream (schema, one record batch, end marker): one row per event.</summary>
    Arrow = 1,

    /// <summary>The events' raw bytes, concatenated; each event's length is in the metadata frame.</summary>
    Bytes = 2,
}

/// <summary>
/// A batch as it travels over ZeroMQ: three frames of a multipart message (all integers little-endian).
/// <list type="number">
/// <item>Header, 24 bytes + the data type: magic <c>SBT1</c>, payload kind (1 Arrow IPC, 2 raw bytes), reserved byte,
/// data-type length L (u16), batch id (u64), event count N (u32), flags (u32, 0), then the data type (L bytes UTF-8).</item>
/// <item>Metadata, N x 24 bytes: event number (u64), tick (u64), data id (u16), reserved (u16), payload length (u32;
/// 0 for Arrow).</item>
/// <item>Payload: the Arrow IPC stream, or the events' bytes back to back.</item>
/// </list>
/// </summary>
public static class BatchFrames
{
    public const int HeaderSize = 24;
    public const int MetaEntrySize = 24;
    public static ReadOnlySpan<byte> Magic => "SBT1"u8;

    /// <summary>Encodes <paramref name="batch"/> under <paramref name="batchId"/>.</summary>
    public static EncodedBatch Encode(EventBatch batch, ulong batchId)
    {
        var (header, meta) = EncodeHeaderAndMeta(batch, batchId);
        if (batch.HasBytes)
        {
            var payload = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(batch.PayloadBytes, 1));
            return new EncodedBatch(header, meta, payload, CopyBytes(batch, payload), System.Buffers.ArrayPool<byte>.Shared);
        }

        var (arrow, length) = EncodeArrow(batch.Records!);
        return new EncodedBatch(header, meta, arrow, length, System.Buffers.ArrayPool<byte>.Shared);
    }

    /// <summary>The header and metadata frames of <paramref name="batch"/> under <paramref name="batchId"/>.</summary>
    public static (byte[] Header, byte[] Meta) EncodeHeaderAndMeta(EventBatch batch, ulong batchId)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var kind = batch.HasBytes ? PayloadKind.Bytes : PayloadKind.Arrow;
        var type = Encoding.UTF8.GetBytes(batch.DataType);
        if (type.Length > ushort.MaxValue) throw new ArgumentException("data type name too long", nameof(batch));
        var header = new byte[HeaderSize + type.Length];
        WriteHeader(header, kind, batchId, batch.Count, type);

        var n = batch.Count;
        var meta = new byte[n * MetaEntrySize];
        var m = batch.Meta;
        for (var i = 0; i < n; i++)
        {
            var e = meta.AsSpan(i * MetaEntrySize, MetaEntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(e, m[i].EventNumber);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], m[i].Tick);
            BinaryPrimitives.WriteUInt16LittleEndian(e[16..], m[i].DataId);
            BinaryPrimitives.WriteUInt32LittleEndian(e[20..], kind == PayloadKind.Bytes ? (uint)batch.GetPayload(i).Length : 0u);
        }

        return (header, meta);
    }

    /// <summary>Copies a raw-byte batch's events back to back into <paramref name="payload"/>; returns the bytes written.</summary>
    internal static int CopyBytes(EventBatch batch, Span<byte> payload)
    {
        var at = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var p = batch.GetPayload(i);
            p.CopyTo(payload[at..]);
            at += p.Length;
        }

        return at;
    }

    /// <summary>Writes the header frame; <paramref name="header"/> must hold <see cref="HeaderSize"/> + the type.</summary>
    internal static void WriteHeader(Span<byte> header, PayloadKind kind, ulong batchId, int count, ReadOnlySpan<byte> type)
    {
        Magic.CopyTo(header);
        header[4] = (byte)kind;
        header[5] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], (ushort)type.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], batchId);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)count);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 0);
        type.CopyTo(header[HeaderSize..]);
    }

    /// <summary>Reads a header frame; throws <see cref="FrameException"/> when it is not one.</summary>
    public static BatchHeader ReadHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderSize) throw new FrameException($"header frame is {header.Length} bytes; at least {HeaderSize} expected");
        if (!header[..4].SequenceEqual(Magic)) throw new FrameException($"header frame does not start with 'SBT1' (got {Convert.ToHexString(header[..4])})");
        var kind = (PayloadKind)header[4];
        if (kind is not (PayloadKind.Arrow or PayloadKind.Bytes)) throw new FrameException($"unknown payload kind {header[4]} (1 = Arrow IPC, 2 = bytes)");
        var typeLength = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        if (header.Length != HeaderSize + typeLength) throw new FrameException($"header frame is {header.Length} bytes but declares a {typeLength}-byte data type");
        var id = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        if (count > 1 << 24) throw new FrameException($"event count {count} is implausible");
        string type;
        try
        {
            type = new UTF8Encoding(false, true).GetString(header.Slice(HeaderSize, typeLength));
        }
        catch (DecoderFallbackException)
        {
            throw new FrameException("data type is not valid UTF-8");
        }

        return new BatchHeader(kind, id, (int)count, type);
    }

    /// <summary>
    /// Decodes a batch from its three frames; throws <see cref="FrameException"/> for anything malformed. An Arrow
    /// payload is read in place: its memory must outlive the batch and every batch derived from it. Pass
    /// <paramref name="payloadMemory"/> when that memory is to be returned (a pooled NetMQ message): the batch owns it
    /// from then on, even when decoding fails, and disposes it once nothing can read the columns.
    /// </summary>
    public static EventBatch Decode(BatchHeader header, ReadOnlySpan<byte> meta, ReadOnlyMemory<byte> payload, IDisposable? payloadMemory = null)
    {
        try
        {
            var batch = DecodeFrames(header, meta, payload, payloadMemory);
            if (batch.HasBytes) payloadMemory?.Dispose(); // raw bytes were copied into the batch
            return batch;
        }
        catch
        {
            payloadMemory?.Dispose();
            throw;
        }
    }

    private static EventBatch DecodeFrames(BatchHeader header, ReadOnlySpan<byte> meta, ReadOnlyMemory<byte> payload, IDisposable? payloadMemory)
    {
        var n = header.Count;
        if (meta.Length != n * MetaEntrySize) throw new FrameException($"metadata frame is {meta.Length} bytes; {n} events need {n * MetaEntrySize}");
        var now = Stopwatch.GetTimestamp();
        var metas = new EventMeta[n];
        var lengths = new int[n];
        long total = 0;
        for (var i = 0; i < n; i++)
        {
            var e = meta.Slice(i * MetaEntrySize, MetaEntrySize);
            metas[i] = new EventMeta(
                BinaryPrimitives.ReadUInt64LittleEndian(e),
                BinaryPrimitives.ReadUInt16LittleEndian(e[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[8..]),
                now);
            var len = EventLength(meta, i);
            lengths[i] = (int)Math.Min(len, int.MaxValue);
            total += len;
        }

        if (header.Kind == PayloadKind.Bytes)
        {
            if (total != payload.Length) throw new FrameException($"event lengths add up to {total} bytes but the payload frame has {payload.Length}");
            return EventBatch.FromBytes(metas, header.DataType, payload.Span, lengths);
        }

        var records = DecodeArrow(payload);
        if (records.Length != n)
        {
            records.Dispose();
            throw new FrameException($"Arrow payload has {records.Length} rows for {n} events");
        }

        return EventBatch.FromSource(metas, header.DataType, records, payloadMemory);
    }

    /// <summary>Payload bytes of event <paramref name="index"/> in a metadata frame (0 for Arrow payloads).</summary>
    internal static uint EventLength(ReadOnlySpan<byte> meta, int index) => BinaryPrimitives.ReadUInt32LittleEndian(meta.Slice((index * MetaEntrySize) + 20, 4));

    internal static (byte[] Buffer, int Length) EncodeArrow(RecordBatch records)
    {
        using var ms = new PooledStream(EstimateArrowSize(records));
        WriteArrow(records, ms);
        var length = (int)ms.Length;
        return (ms.Detach(), length);
    }

    /// <summary>Writes the payload frame of an Arrow batch (schema, the record batch, end marker) to <paramref name="stream"/>.</summary>
    internal static void WriteArrow(RecordBatch records, Stream stream)
    {
        using var writer = new ArrowStreamWriter(stream, records.Schema, leaveOpen: true);
        writer.WriteRecordBatch(records);
        writer.WriteEnd();
    }

    /// <summary>The exact size of the payload frame <see cref="WriteArrow"/> writes (it writes into a counter).</summary>
    internal static int MeasureArrow(RecordBatch records)
    {
        using var counter = new CountingStream();
        WriteArrow(records, counter);
        return (int)Math.Min(counter.Length, int.MaxValue);
    }

    private static int EstimateArrowSize(RecordBatch records)
    {
        long size = 1024;
        for (var c = 0; c < records.ColumnCount; c++) size += Size(records.Column(c).Data);
        return (int)Math.Min(size, int.MaxValue / 2);

        static long Size(ArrayData? data)
        {
            if (data is null) return 0;
            long n = 64;
            foreach (var b in data.Buffers ?? []) n += b.Length + 8;
            foreach (var child in data.Children ?? []) n += Size(child);
            return n;
        }
    }

    internal static RecordBatch DecodeArrow(ReadOnlyMemory<byte> payload)
    {
        try
        {
            ArrowIpcCheck.Stream(payload.Span); // before Apache.Arrow trusts the counts in it
            using var reader = new ArrowStreamReader(payload);
            var records = reader.ReadNextRecordBatch() ?? throw new FrameException("Arrow payload holds no record batch");
            try
            {
                ArrowArrayCheck.Batch(records); // Apache.Arrow reads columns lazily: a short buffer would fail in the next operator
            }
            catch
            {
                records.Dispose();
                throw;
            }

            return records;
        }
        catch (Exception e) when (e is not FrameException)
        {
            throw new FrameException($"Arrow payload is not a valid IPC stream: {e.Message}");
        }
    }
}

/// <summary>A decoded header frame.</summary>
public readonly record struct BatchHeader(PayloadKind Kind, ulong BatchId, int Count, string DataType);

/// <summary>
/// The three frames of an encoded batch. The payload frame is the first <see cref="PayloadLength"/> bytes of
/// <see cref="Payload"/>, a buffer rented from an array pool that this object owns: whoever holds it last (the one that
/// sends it, or that keeps it for a resend) disposes it once nothing will send it again, and the buffer goes back to
/// the pool then. It goes back once only, however often <see cref="Dispose"/> is called; after that
/// <see cref="Payload"/> throws.
/// </summary>
public sealed class EncodedBatch : IDisposable
{
    private readonly System.Buffers.ArrayPool<byte>? _pool;
    private byte[]? _payload;

    /// <summary>Takes <paramref name="payload"/> (rented from <paramref name="pool"/>; null: not pooled) into its keeping.</summary>
    internal EncodedBatch(byte[] header, byte[] meta, byte[] payload, int payloadLength, System.Buffers.ArrayPool<byte>? pool)
    {
        Header = header;
        Meta = meta;
        _payload = payload;
        PayloadLength = payloadLength;
        _pool = pool;
    }

    public byte[] Header { get; }

    public byte[] Meta { get; }

    /// <summary>The payload buffer (its first <see cref="PayloadLength"/> bytes are the frame).</summary>
    public byte[] Payload => Volatile.Read(ref _payload) ?? throw new ObjectDisposedException(nameof(EncodedBatch), "the payload went back to its pool");

    public int PayloadLength { get; }

    /// <summary>Returns the payload buffer to its pool, the first time only.</summary>
    public void Dispose()
    {
        var payload = Interlocked.Exchange(ref _payload, null);
        if (payload is not null) _pool?.Return(payload);
    }
}

/// <summary>A frame that does not follow the documented layout.</summary>
public sealed class FrameException : Exception
{
    public FrameException(string message)
        : base(message)
    {
    }

    public FrameException()
    {
    }

    public FrameException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

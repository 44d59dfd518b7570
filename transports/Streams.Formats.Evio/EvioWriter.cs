using System.Buffers.Binary;

namespace Streams.Formats.Evio;

/// <summary>Options of <see cref="EvioWriter"/>.</summary>
public sealed record EvioWriterOptions
{
    public EvioCompression Compression { get; init; } = EvioCompression.None;
    /// <summary>Events per record before a new record is started.</summary>
    public int MaxEventsPerRecord { get; init; } = 10_000;
    /// <summary>Uncompressed bytes (index + events) per record before a new record is started.</summary>
    public int MaxRecordBytes { get; init; } = 8 << 20;
    public bool BigEndian { get; init; }
    /// <summary>XML dictionary stored in the file user header (file bit 8).</summary>
    public string? Dictionary { get; init; }
    /// <summary>A "first event" bank (in the writer's byte order) stored in the file user header (file bit 9); empty = none.</summary>
    public ReadOnlyMemory<byte>? FirstEvent { get; init; }
    /// <summary>Record event type, bits 10-13 (0 ROC raw, 1 physics, 5 control, 8 ROC raw streaming, 9 physics streaming).</summary>
    public int EventType { get; init; }
    /// <summary>6 (default) or 4: EVIO 4 blocks as EventWriterV4 writes them (no compression, no index).</summary>
    public int Version { get; init; } = 6;
    /// <summary>Leave the stream open on dispose.</summary>
    public bool LeaveOpen { get; init; }
}

/// <summary>
/// Writes EVIO 6 files as JLab's EventWriter does: file header, optional dictionary/first-event
/// "common record" in the file user header, data records (index of event lengths, events, optional
/// LZ4 or gzip compression), and a trailer whose index lists (record length, event count) pairs.
/// On a seekable stream the header's record count and trailer position are patched at the end.
/// With <see cref="EvioWriterOptions.Version"/> = 4 it writes EVIO 4 blocks instead: block 1 holds
/// the dictionary bank (tag 0, CHARSTAR8, not counted) and the first event (counted), and the file
/// ends with an empty block carrying the last-block bit, as EventWriterV4 does.
/// </summary>
public sealed class EvioWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly EvioWriterOptions _o;
    private readonly long _origin;
    private readonly List<(uint Bytes, uint Events)> _records = [];
    private readonly MemoryStream _events = new();
    private readonly List<uint> _lengths = [];
    private int _userHeaderBytes;
    private long _written;
    private bool _closed;

    public EvioWriter(Stream stream, EvioWriterOptions? options = null)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _o = options ?? new EvioWriterOptions();
        if (_o.MaxEventsPerRecord < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxEventsPerRecord < 1");
        if (_o.Version is not (4 or 6)) throw new ArgumentOutOfRangeException(nameof(options), "Version must be 4 or 6");
        if (_o.Version == 4 && _o.Compression != EvioCompression.None) throw new ArgumentException("EVIO 4 has no compression", nameof(options));
        _origin = stream.CanSeek ? stream.Position : 0;
        WriteFileHeader();
    }

    /// <summary>Creates (or overwrites) <paramref name="path"/>.</summary>
    public static EvioWriter Create(string path, EvioWriterOptions? options = null) =>
        new(new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read), options);

    /// <summary>Events written so far.</summary>
    public long EventCount { get; private set; }

    /// <summary>Appends one event: a whole bank in the writer's byte order.</summary>
    public void WriteEvent(ReadOnlySpan<byte> bank)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        CheckBank(bank, _o.BigEndian);
        if (_lengths.Count >= _o.MaxEventsPerRecord
            || (_lengths.Count > 0 && 4L * (_lengths.Count + 1) + _events.Length + bank.Length > _o.MaxRecordBytes))
            Flush();
        _events.Write(bank);
        _lengths.Add((uint)bank.Length);
        EventCount++;
    }

    /// <summary>Appends the finished structure tree of <paramref name="builder"/>.</summary>
    public void WriteEvent(EvioBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.IsBigEndian != _o.BigEndian) throw new ArgumentException("builder byte order differs from the writer's");
        if (builder.Depth != 0) throw new ArgumentException("builder has open structures");
        WriteEvent(builder.WrittenSpan);
    }

    /// <summary>Writes the pending events as one record.</summary>
    public void Flush()
    {
        if (_lengths.Count == 0) return;
        if (_o.Version == 4)
        {
            var block = RecordWriter.BlockV4((uint)_records.Count + 1, (uint)_lengths.Count, (uint)(_o.EventType & 0xf) << 10,
                _events.GetBuffer().AsSpan(0, (int)_events.Length), _o.BigEndian);
            Write(block);
            _records.Add(((uint)block.Length, (uint)_lengths.Count));
            _lengths.Clear();
            _events.SetLength(0);
            return;
        }
        var rec = RecordWriter.Build((uint)_records.Count + 1, _lengths, _events.GetBuffer().AsSpan(0, (int)_events.Length),
            _o.Compression, _o.EventType, _o.BigEndian);
        Write(rec);
        _records.Add(((uint)rec.Length, (uint)_lengths.Count));
        _lengths.Clear();
        _events.SetLength(0);
    }

    /// <summary>Flushes, writes the trailer and patches the file header.</summary>
    public void Dispose()
    {
        if (_closed) return;
        Flush();
        _closed = true;
        if (_o.Version == 4)
        {
            // EventWriterV4 ends the file with an empty block that carries the last-block bit.
            Write(RecordWriter.BlockV4((uint)_records.Count + 1, 0, 1u << 9, default, _o.BigEndian));
            _stream.Flush();
            if (!_o.LeaveOpen) _stream.Dispose();
            _events.Dispose();
            return;
        }
        long trailerPos = _written;
        Write(RecordWriter.Trailer((uint)_records.Count + 1, _records, _o.BigEndian));
        if (_stream.CanSeek)
        {
            long end = _stream.Position;
            _stream.Position = _origin;
            _stream.Write(FileHeader((uint)_records.Count, (ulong)trailerPos));
            _stream.Position = end;
        }
        _stream.Flush();
        if (!_o.LeaveOpen) _stream.Dispose();
        _events.Dispose();
    }

    private bool HasFirstEvent => _o.FirstEvent is { IsEmpty: false };

    private void WriteFileHeader()
    {
        if (_o.Version == 4)
        {
            WriteFirstBlockV4();
            return;
        }
        byte[]? common = null;
        if (_o.Dictionary != null || HasFirstEvent)
        {
            // The common record: the dictionary as raw ASCII (no bank, no NUL, no padding), then the
            // first event; both listed in the record's index.
            var entries = new MemoryStream();
            var lengths = new List<uint>();
            if (_o.Dictionary != null)
            {
                var xml = System.Text.Encoding.ASCII.GetBytes(_o.Dictionary);
                entries.Write(xml);
                lengths.Add((uint)xml.Length);
            }
            if (HasFirstEvent && _o.FirstEvent is { } fe)
            {
                CheckBank(fe.Span, _o.BigEndian);
                entries.Write(fe.Span);
                lengths.Add((uint)fe.Length);
            }
            common = RecordWriter.Build(1, lengths, entries.GetBuffer().AsSpan(0, (int)entries.Length), EvioCompression.None, 0, _o.BigEndian);
            _userHeaderBytes = common.Length;
        }
        Write(FileHeader(0, 0));
        if (common != null) Write(common);
    }

    /// <summary>v4 block 1: the dictionary as a CHARSTAR8 bank (tag 0, num 0; not counted) and the first event (counted).</summary>
    private void WriteFirstBlockV4()
    {
        if (_o.Dictionary == null && !HasFirstEvent) return;
        var b = new EvioBuilder(_o.BigEndian);
        uint bits = 0, count = 0;
        if (_o.Dictionary != null)
        {
            b.OpenBank(0, EvioDataType.CharStar8, 0).AddStrings(_o.Dictionary).Close();
            bits |= 1u << 8;
        }
        if (HasFirstEvent && _o.FirstEvent is { } fe)
        {
            CheckBank(fe.Span, _o.BigEndian);
            b.AddStructure(fe.Span);
            bits |= 1u << 14;
            count = 1;
            EventCount++;
        }
        var block = RecordWriter.BlockV4(1, count, bits, b.WrittenSpan, _o.BigEndian);
        Write(block);
        _records.Add(((uint)block.Length, count));
    }

    private byte[] FileHeader(uint records, ulong trailerPos)
    {
        var h = new byte[56];
        bool be = _o.BigEndian;
        uint bits = 6u | (1u << 10) | (1u << 28); // version 6, trailer with index, evio file
        if (_o.Dictionary != null) bits |= 1u << 8;
        if (HasFirstEvent) bits |= 1u << 9;
        bits |= (uint)Words.Pad4(_userHeaderBytes) << 20;
        Words.Put32(h, 0, EvioFileHeader.EvioId, be);
        Words.Put32(h, 8, 14, be);
        Words.Put32(h, 12, records, be);
        Words.Put32(h, 20, bits, be);
        Words.Put32(h, 24, (uint)_userHeaderBytes, be);
        Words.Put32(h, 28, Words.Magic, be);
        Words.Put64(h, 40, trailerPos, be);
        return h;
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        _written += bytes.Length;
    }

    internal static void CheckBank(ReadOnlySpan<byte> bank, bool bigEndian)
    {
        if (bank.Length < 8 || (bank.Length & 3) != 0) throw new ArgumentException("an event must be a whole bank (>= 8 bytes, whole words)");
        uint len = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bank) : BinaryPrimitives.ReadUInt32LittleEndian(bank);
        if (4L * (len + 1) != bank.Length) throw new ArgumentException($"bank length word {len} does not match {bank.Length} bytes");
    }
}

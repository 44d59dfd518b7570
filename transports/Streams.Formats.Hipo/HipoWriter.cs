using System.Buffers.Binary;
using System.Text;

namespace Streams.Formats.Hipo;

/// <summary>
/// Writes a HIPO 4 file the way gavalian/hipo does: the 56-byte file header (little endian),
/// the dictionary record as its user header (one event per schema with the JSON (120,1) and
/// compact (120,2) strings), LZ4 data records of many events, and at <see cref="Close"/> the
/// <c>file::index</c> record, whose offset is patched into the header's trailer position. The
/// stream must be seekable for that patch. Not thread-safe.
/// </summary>
public sealed class HipoWriter : IDisposable
{
    private readonly Stream _output;
    private readonly bool _leaveOpen;
    private readonly long _origin;
    private readonly HipoWriterOptions _options;
    private readonly List<int> _lengths = [];
    private readonly List<(long Position, int Length, int Entries, long UserWordOne)> _records = [];
    private byte[] _events = new byte[64 * 1024];
    private int _eventBytes;
    private int _recordTag;
    private long _written;
    private bool _closed;

    /// <summary>Starts a file on <paramref name="output"/> and writes the header and dictionary.</summary>
    public HipoWriter(Stream output, SchemaDictionary schemas, HipoWriterOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(schemas);
        if (!output.CanWrite || !output.CanSeek)
        {
            throw new ArgumentException("the stream must be writable and seekable (the trailer position is patched at close)", nameof(output));
        }
        _options = options ?? new HipoWriterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxEventsPerRecord, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxRecordBytes, 1, nameof(options));
        _output = output;
        _leaveOpen = leaveOpen;
        _origin = output.Position;
        Schemas = schemas;

        using var dictionary = new MemoryStream();
        var lengths = new List<int>();
        var events = new List<byte>();
        foreach (Schema s in schemas)
        {
            byte[] ev = new HipoEventBuilder()
                .AddStructure(Layout.DictionaryGroup, 1, Layout.StringType, Encoding.UTF8.GetBytes(s.ToJson()))
                .AddStructure(Layout.DictionaryGroup, 2, Layout.StringType, Encoding.UTF8.GetBytes(s.ToCompactString()))
                .ToArray();
            lengths.Add(ev.Length);
            events.AddRange(ev);
        }
        int dictionaryLength = RecordWriter.Write(dictionary, [.. lengths], [.. events], compress: true, userWordOne: 0);

        Span<byte> h = stackalloc byte[Layout.HeaderBytes];
        h.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(h, Layout.FileId);
        BinaryPrimitives.WriteInt32LittleEndian(h[4..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], Layout.HeaderWords);
        // Record count (word 4) stays 0 as in the C++ writer; the index record is the truth.
        BinaryPrimitives.WriteInt32LittleEndian(h[20..], Layout.Version);
        BinaryPrimitives.WriteInt32LittleEndian(h[24..], dictionaryLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[28..], Layout.Magic);
        _output.Write(h);
        dictionary.Position = 0;
        dictionary.CopyTo(_output);
        _written = Layout.HeaderBytes + dictionaryLength;
    }

    /// <summary>Creates (or overwrites) a file.</summary>
    public static HipoWriter Create(string path, SchemaDictionary schemas, HipoWriterOptions? options = null)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            return new HipoWriter(stream, schemas, options);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The schemas written to the dictionary record.</summary>
    public SchemaDictionary Schemas { get; }

    /// <summary>Events added so far.</summary>
    public long EventCount { get; private set; }

    /// <summary>Adds an event built with <see cref="HipoEventBuilder"/>.</summary>
    public void AddEvent(HipoEventBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        Reserve(builder.Length, builder.Tag);
        builder.CopyTo(_events.AsSpan(_eventBytes));
        Append(builder.Length);
    }

    /// <summary>Adds an event's bytes (an <c>"EVNT"</c> header whose size is the whole span).</summary>
    public void AddEvent(ReadOnlySpan<byte> eventBytes)
    {
        if (eventBytes.Length < Layout.EventHeaderBytes
            || BinaryPrimitives.ReadInt32LittleEndian(eventBytes) != Layout.EventMagic
            || BinaryPrimitives.ReadInt32LittleEndian(eventBytes[4..]) != eventBytes.Length)
        {
            throw new ArgumentException("not a HIPO event: needs the \"EVNT\" header with its own size", nameof(eventBytes));
        }
        Reserve(eventBytes.Length, BinaryPrimitives.ReadInt32LittleEndian(eventBytes[8..]));
        eventBytes.CopyTo(_events.AsSpan(_eventBytes));
        Append(eventBytes.Length);
    }

    /// <summary>Adds a copy of an event read elsewhere.</summary>
    public void AddEvent(HipoEvent hipoEvent)
    {
        ArgumentNullException.ThrowIfNull(hipoEvent);
        AddEvent(hipoEvent.Data.Span);
    }

    /// <summary>Closes the current record (if it holds events) and writes it out.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_lengths.Count == 0)
        {
            return;
        }
        int length = RecordWriter.Write(_output, [.. _lengths], _events.AsSpan(0, _eventBytes), _options.Compress, _recordTag);
        _records.Add((_written, length, _lengths.Count, _recordTag));
        _written += length;
        _lengths.Clear();
        _eventBytes = 0;
        _output.Flush();
    }

    /// <summary>Writes the last record and the index record, patches the header and closes.</summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }
        Flush();
        var index = new BankBuilder(Layout.FileIndex, _records.Count);
        for (int r = 0; r < _records.Count; r++)
        {
            index.PutLong(0, r, _records[r].Position).PutInt(1, r, _records[r].Length).PutInt(2, r, _records[r].Entries)
                 .PutLong(3, r, _records[r].UserWordOne).PutLong(4, r, 0);
        }
        byte[] ev = new HipoEventBuilder().AddBank(index).ToArray();
        long trailer = _written;
        _written += RecordWriter.Write(_output, [ev.Length], ev, compress: true, userWordOne: 0);
        // The trailer position (bytes 40-47) points at the index record, patched last.
        Span<byte> position = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(position, trailer);
        _output.Position = _origin + 40;
        _output.Write(position);
        _output.Position = _origin + _written;
        _output.Flush();
        _closed = true;
        if (!_leaveOpen)
        {
            _output.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose() => Close();

    private void Reserve(int length, int tag)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        // Tagged events go to records of their own tag (userWordOne), as writer::addEvent does.
        if (_lengths.Count > 0 && (tag != _recordTag || _lengths.Count >= _options.MaxEventsPerRecord
            || (long)_eventBytes + length > _options.MaxRecordBytes))
        {
            Flush();
        }
        _recordTag = tag;
        if (_eventBytes + length > _events.Length)
        {
            Array.Resize(ref _events, (int)Math.Min(Array.MaxLength, Math.Max((long)_eventBytes + length, _events.Length * 2L)));
        }
    }

    private void Append(int length)
    {
        _eventBytes += length;
        _lengths.Add(length);
        EventCount++;
    }
}

using System.Buffers.Binary;
using System.Text;

namespace Streams.Formats.Hipo;

/// <summary>
/// Reads a HIPO 4 file, from memory or from disk: the 56-byte file header (either byte order), the
/// dictionary record it carries as its user header, the data records (LZ4 or uncompressed) and
/// the trailing <c>file::index</c> record when the header points at one, else a scan of the
/// records. Every length is checked against the bytes that remain before anything is
/// allocated; malformed input gives a <see cref="HipoFormatException"/> with the byte offset.
/// Records are decompressed on demand and the last one is kept. Not thread-safe.
/// </summary>
public sealed class HipoReader : IDisposable
{
    private readonly HipoSource _file;
    private readonly HipoRecordInfo[] _records;
    private readonly Dictionary<string, string> _userConfig = new(StringComparer.Ordinal);
    private DecodedRecord? _cached;
    private int _cachedIndex = -1;
    private bool _indexFound;

    /// <summary>
    /// Opens a file: header, dictionary and index are read now, each record when its events are
    /// asked for, so files of any size are fine. Dispose the reader to close the file.
    /// </summary>
    public static HipoReader Open(string path)
    {
        var source = new FileSource(path);
        try
        {
            return new HipoReader(source);
        }
        catch
        {
            source.Close();
            throw;
        }
    }

    /// <summary>Reads the header, dictionary and record list of the file in <paramref name="file"/> (used in place).</summary>
    public HipoReader(ReadOnlyMemory<byte> file) : this(new MemorySource(file)) { }

    private HipoReader(HipoSource source)
    {
        _file = source;
        long length = source.Length;
        if (length < Layout.HeaderBytes)
        {
            throw new HipoFormatException($"file of {length} bytes is shorter than the 56-byte file header", 0);
        }
        ReadOnlySpan<byte> f = source.Read(0, Layout.HeaderBytes).Span;
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(f[28..]);
        // The C++ writer dumps the header struct in host order; the magic word tells which.
        IsBigEndian = magic switch
        {
            Layout.Magic => false,
            Layout.MagicSwapped => true,
            _ => throw new HipoFormatException($"file magic 0x{magic:x8} is not 0xc0da0100", 28),
        };
        var w = new Words(f, IsBigEndian);
        if (w.U(0) != Layout.FileId)
        {
            throw new HipoFormatException($"file id 0x{w.U(0):x8} is not \"HIPO\"", 0);
        }
        uint headerWords = w.U(8);
        if (headerWords < Layout.HeaderWords || headerWords * 4L > length)
        {
            throw new HipoFormatException($"file header length {headerWords} words outside {Layout.HeaderWords}..{length / 4}", 8);
        }
        int bitInfo = (int)w.U(20);
        Version = bitInfo & 0xFF;
        uint userHeader = w.U(24);
        long headerBytes = headerWords * 4L;
        if (userHeader > length - headerBytes)
        {
            throw new HipoFormatException($"user header (dictionary) length {userHeader} runs past the end", 24);
        }
        long trailer = w.L(40);
        long dataStart = headerBytes + userHeader + ((bitInfo >> 20) & 3);
        if (dataStart > length)
        {
            throw new HipoFormatException("user header padding runs past the end", 20);
        }
        if (trailer != 0 && (trailer < dataStart || trailer > length - Layout.HeaderBytes))
        {
            throw new HipoFormatException($"trailer (index) position {trailer} outside {dataStart}..{length - Layout.HeaderBytes}", 40);
        }
        UserHeaderPosition = headerBytes;
        Schemas = userHeader == 0 ? new SchemaDictionary() : ReadDictionary(headerBytes, userHeader);
        _records = trailer != 0 && ReadIndex(trailer, dataStart) is { } indexed ? indexed : Scan(dataStart, trailer == 0 ? length : trailer);
        HasIndex = _indexFound;
        long total = 0;
        foreach (HipoRecordInfo r in _records)
        {
            total += r.EventCount;
        }
        if (total > int.MaxValue)
        {
            throw new HipoFormatException($"{total} events do not fit an int index", 0);
        }
        EventCount = (int)total;
    }

    /// <summary>The schemas of the dictionary record.</summary>
    public SchemaDictionary Schemas { get; }

    /// <summary>(32555,1)/(32555,2) key/value strings of the dictionary record, if any.</summary>
    public IReadOnlyDictionary<string, string> UserConfig => _userConfig;

    /// <summary>True when the file and record headers are big endian (bank data are always little endian).</summary>
    public bool IsBigEndian { get; }

    /// <summary>The version byte of the file header (6 for HIPO 4).</summary>
    public int Version { get; }

    /// <summary>True when the record list came from the trailing <c>file::index</c> record.</summary>
    public bool HasIndex { get; }

    /// <summary>Byte offset of the dictionary record (4 × file header length).</summary>
    public long UserHeaderPosition { get; }

    /// <summary>Number of events in the data records.</summary>
    public int EventCount { get; }

    /// <summary>The data records in file order.</summary>
    public IReadOnlyList<HipoRecordInfo> Records => _records;

    /// <summary>Closes the file (nothing to do for a reader over memory).</summary>
    public void Dispose() => _file.Close();

    /// <summary>The event at file-wide position <paramref name="index"/>.</summary>
    public HipoEvent GetEvent(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, EventCount);
        int lo = 0, hi = _records.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_records[mid].FirstEvent <= index)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        // Empty records share FirstEvent with the next one; step to the record that holds it.
        while (_records[lo].EventCount == 0 || index >= _records[lo].FirstEvent + _records[lo].EventCount)
        {
            lo++;
        }
        return ReadRecordEvent(lo, (int)(index - _records[lo].FirstEvent));
    }

    /// <summary>All events in file order.</summary>
    public IEnumerable<HipoEvent> ReadEvents() => ReadEvents(0, EventCount);

    /// <summary><paramref name="count"/> events from <paramref name="start"/>, in file order.</summary>
    public IEnumerable<HipoEvent> ReadEvents(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, EventCount - start);
        return Iterate(start, count);
    }

    private IEnumerable<HipoEvent> Iterate(int start, int count)
    {
        for (int i = start; i < start + count; i++)
        {
            yield return GetEvent(i);
        }
    }

    private HipoEvent ReadRecordEvent(int record, int k)
    {
        if (_cachedIndex != record || _cached is null)
        {
            _cached = Decode(_records[record]);
            _cachedIndex = record;
        }
        HipoRecordInfo info = _records[record];
        return HipoEvent.Parse(_cached.Events[k], info.FirstEvent + k, info.Position, new EventOrigin("data record", k));
    }

    private DecodedRecord Decode(HipoRecordInfo info)
    {
        RecordHeader h = RecordHeader.Read(_file, info.Position, _file.Length);
        if (h.EventCount != info.EventCount)
        {
            throw new HipoFormatException($"record holds {h.EventCount} events, the index says {info.EventCount}", info.Position + 12);
        }
        return DecodedRecord.Decode(_file, h);
    }

    private SchemaDictionary ReadDictionary(long position, uint userHeaderLength)
    {
        // The dictionary is one whole record at 4 * headerLength, one event per schema.
        RecordHeader h = RecordHeader.Read(_file, position, position + userHeaderLength);
        DecodedRecord record = DecodedRecord.Decode(_file, h);
        var schemas = new SchemaDictionary();
        for (int i = 0; i < record.Events.Length; i++)
        {
            HipoEvent e = HipoEvent.Parse(record.Events[i], i, position, new EventOrigin("dictionary record", i));
            if (e.TryGetStructure(Layout.DictionaryGroup, 2, out HipoStructure compact))
            {
                schemas.AddParsed(Schema.Parse(Utf8(compact.Data, position), position), position);
            }
            else if (e.TryGetStructure(Layout.UserConfigGroup, 1, out HipoStructure key)
                     && e.TryGetStructure(Layout.UserConfigGroup, 2, out HipoStructure value))
            {
                // Trap: the C++ reader crashes on these events (no (120,2)); here they are kept aside.
                _userConfig[Utf8(key.Data, position)] = Utf8(value.Data, position);
            }
        }
        return schemas;
    }

    private HipoRecordInfo[]? ReadIndex(long trailer, long dataStart)
    {
        RecordHeader h = RecordHeader.Read(_file, trailer, _file.Length);
        DecodedRecord record = DecodedRecord.Decode(_file, h);
        Bank? index = null;
        for (int i = 0; i < record.Events.Length && index is null; i++)
        {
            HipoEvent e = HipoEvent.Parse(record.Events[i], i, trailer, new EventOrigin("index record", i));
            e.TryGetBank(Layout.FileIndex, out index);
        }
        if (index is null)
        {
            // Not a file::index record (an evio-style trailer, say): scan up to it instead.
            return null;
        }
        _indexFound = true;
        var records = new HipoRecordInfo[index.Rows];
        long previousEnd = dataStart, first = 0;
        for (int r = 0; r < index.Rows; r++)
        {
            long position = index.GetLong(0, r);
            int length = index.GetInt(1, r);
            int entries = index.GetInt(2, r);
            // Records follow one another from the dictionary up to the index record, as both the
            // C++ and the Java writer put them; a gap means a lying length somewhere.
            if (position != previousEnd || length < Layout.HeaderBytes || position > trailer - length || entries < 0)
            {
                throw new HipoFormatException(
                    $"index row {r}: record at {position}, {length} bytes, {entries} events lies outside {previousEnd}..{trailer}", trailer);
            }
            RecordHeader rh = RecordHeader.Read(_file, position, trailer);
            if (rh.ByteLength != length || rh.EventCount != entries)
            {
                throw new HipoFormatException(
                    $"index row {r} says {length} bytes and {entries} events, the record header {rh.ByteLength} and {rh.EventCount}", position);
            }
            records[r] = new HipoRecordInfo(position, length, entries, first, index.GetLong(3, r), index.GetLong(4, r));
            first += entries;
            previousEnd = position + length;
        }
        if (previousEnd != trailer)
        {
            throw new HipoFormatException($"the index lists records up to byte {previousEnd}, the index record is at {trailer}", trailer);
        }
        return records;
    }

    private List<HipoRecordInfo> ScanList(long start, long end)
    {
        var list = new List<HipoRecordInfo>();
        long first = 0;
        // A sequential walk must stop at the index record, or it would count the index event.
        for (long pos = start; pos < end;)
        {
            RecordHeader h = RecordHeader.Read(_file, pos, end);
            list.Add(new HipoRecordInfo(pos, (int)h.ByteLength, h.EventCount, first, h.UserWordOne, h.UserWordTwo));
            first += h.EventCount;
            pos += h.ByteLength; // > 0: a header is at least 14 words
        }
        return list;
    }

    private HipoRecordInfo[] Scan(long start, long end)
    {
        List<HipoRecordInfo> list = ScanList(start, end);
        // A writer that stopped before patching the trailer position may still have written the
        // index record: a last record of one event holding file::index is not data.
        if (end == _file.Length && list.Count > 0 && list[^1].EventCount == 1)
        {
            HipoRecordInfo last = list[^1];
            DecodedRecord record = DecodedRecord.Decode(_file, RecordHeader.Read(_file, last.Position, end));
            HipoEvent e = HipoEvent.Parse(record.Events[0], 0, last.Position, new EventOrigin("last record", 0));
            if (e.Structures.Count == 1 && e.HasBank(Layout.FileIndex))
            {
                list.RemoveAt(list.Count - 1);
            }
        }
        return [.. list];
    }

    private static string Utf8(ReadOnlyMemory<byte> data, long offset)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(data.Span);
        }
        catch (DecoderFallbackException ex)
        {
            throw new HipoFormatException("dictionary string is not UTF-8", offset, ex);
        }
    }
}

using System.Text;

namespace Streams.Formats.Evio;

/// <summary>Limits for <see cref="EvioReader"/>.</summary>
public sealed record EvioReaderOptions
{
    /// <summary>Largest inflated record accepted (bytes); a larger declared size is an <see cref="EvioFormatException"/>.</summary>
    public int MaxRecordBytes { get; init; } = 256 << 20;
}

/// <summary>
/// Reads EVIO version 4 (blocks) and version 6 (file header, records, optional LZ4/gzip compression,
/// trailer) from memory, in either byte order. Events over uncompressed data are views into the
/// given memory (zero copy); compressed records are inflated into one new buffer per record.
/// A v6 buffer without a file header (records only, as sent over the network) is accepted too.
/// </summary>
public sealed class EvioReader
{
    private readonly int _firstRecord;

    /// <summary>Opens <paramref name="data"/>; the header is checked at once, records as they are read.</summary>
    public EvioReader(ReadOnlyMemory<byte> data, EvioReaderOptions? options = null) : this(data, options, 0) { }

    /// <summary>A reader over a piece of a larger input that starts at <paramref name="baseOffset"/> (for error offsets).</summary>
    internal EvioReader(ReadOnlyMemory<byte> data, EvioReaderOptions? options, long baseOffset)
    {
        BaseOffset = baseOffset;
        Data = data;
        Options = options ?? new EvioReaderOptions();
        var s = data.Span;
        if (s.Length == 0) throw new EvioFormatException("empty input", baseOffset);
        IsBigEndian = Words.DetectBigEndian(s, baseOffset);
        uint bitInfo = Words.U32(s, 20, IsBigEndian);
        Version = (int)(bitInfo & 0xff);
        if (Version == 4)
        {
            _firstRecord = 0;
            ReadV4Preamble();
        }
        else if (Version == 6)
        {
            uint id = Words.U32(s, 0, IsBigEndian);
            _firstRecord = id is EvioFileHeader.EvioId or EvioFileHeader.HipoId ? ReadV6FileHeader() : 0;
        }
        else
        {
            throw new EvioFormatException($"unsupported EVIO version {Version}", baseOffset + 20);
        }
    }

    /// <summary>Offset of <see cref="Data"/> in the whole input (0 unless read piecewise by <see cref="EvioStreamReader"/>).</summary>
    internal long BaseOffset { get; }

    /// <summary>The whole input.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    public EvioReaderOptions Options { get; }

    /// <summary>4 or 6.</summary>
    public int Version { get; }

    /// <summary>Byte order found from the magic word.</summary>
    public bool IsBigEndian { get; }

    /// <summary>The v6 file header (null for v4 and for header-less record buffers).</summary>
    public EvioFileHeader? FileHeader { get; private set; }

    /// <summary>The XML dictionary, if the file has one.</summary>
    public string? Dictionary { get; private set; }

    /// <summary>The "first event" (v6: from the file user header, not among <see cref="Events"/>;
    /// v4: the first event of block 1, which is also event 1 of <see cref="Events"/>).</summary>
    public EvioNode? FirstEvent { get; private set; }

    /// <summary>The v6 file user header bytes when they are not a dictionary/first-event record.</summary>
    public ReadOnlyMemory<byte> UserHeader { get; private set; }

    /// <summary>Offset of the first data record or block.</summary>
    public int FirstRecordOffset => _firstRecord;

    /// <summary>The top-level events in file order; enumerating allocates nothing over uncompressed data.</summary>
    public EvioEventCollection Events => new(this);

    /// <summary>All record (v6, trailer included) or block (v4) headers, read without inflating anything.</summary>
    public IReadOnlyList<EvioRecordHeader> ReadRecordHeaders()
    {
        var list = new List<EvioRecordHeader>();
        var s = Data.Span;
        int pos = _firstRecord;
        while (pos < s.Length)
        {
            var h = Version == 4 ? RecordParser.ParseV4(s, pos, IsBigEndian, BaseOffset) : RecordParser.ParseV6(s, pos, IsBigEndian, BaseOffset);
            list.Add(h);
            pos += (int)h.LengthBytes;
            if (h.IsTrailer || (Version == 4 && h.IsLastRecord)) break;
        }
        return list;
    }

    /// <summary>Counts the events (walks all records; inflates compressed ones).</summary>
    public int CountEvents()
    {
        int n = 0;
        foreach (var _ in Events) n++;
        return n;
    }

    private int ReadV6FileHeader()
    {
        var s = Data.Span;
        bool be = IsBigEndian;
        if (s.Length < 56) throw new EvioFormatException($"file header needs 56 bytes, {s.Length} present", BaseOffset);
        var fh = new EvioFileHeader
        {
            FileId = Words.U32(s, 0, be),
            FileNumber = Words.U32(s, 4, be),
            HeaderWords = Words.U32(s, 8, be),
            RecordCount = Words.U32(s, 12, be),
            IndexBytes = Words.U32(s, 16, be),
            BitInfo = Words.U32(s, 20, be),
            UserHeaderBytes = Words.U32(s, 24, be),
            UserRegister = Words.U64(s, 32, be),
            TrailerPosition = Words.U64(s, 40, be),
            UserInt1 = Words.U32(s, 48, be),
            UserInt2 = Words.U32(s, 52, be),
        };
        FileHeader = fh;
        if (fh.HeaderWords < 14) throw new EvioFormatException($"file header length {fh.HeaderWords} words < 14", BaseOffset + 8);
        long userStart = 4L * fh.HeaderWords + fh.IndexBytes;
        long userPadded = fh.UserHeaderBytes + Words.Pad4((int)(fh.UserHeaderBytes & 3));
        long first = userStart + userPadded;
        if (first > s.Length)
            throw new EvioFormatException($"file header + index + user header ({first} bytes) run past the end ({s.Length} bytes)", BaseOffset + 16);
        if (fh.UserHeaderBytes > 0)
        {
            var user = Data.Slice((int)userStart, (int)fh.UserHeaderBytes);
            if (fh.HasDictionary || fh.HasFirstEvent) ReadCommonRecord(user, (int)userStart, fh);
            else UserHeader = user;
        }
        return (int)first;
    }

    /// <summary>
    /// The v6 file user header is one whole record: the dictionary as raw ASCII (no bank, no NUL, not
    /// padded), then the first event as a bank, which therefore need not be 4-byte aligned.
    /// </summary>
    private void ReadCommonRecord(ReadOnlyMemory<byte> user, int userStart, EvioFileHeader fh)
    {
        // Parse the record with offsets relative to the whole file so errors point at file bytes.
        var file = Data[..(userStart + user.Length)];
        var h = RecordParser.ParseV6(file.Span, userStart, IsBigEndian, BaseOffset);
        var body = RecordParser.OpenV6(file, h, Options, BaseOffset);
        if (!body.HasIndex) throw new EvioFormatException("dictionary/first-event record has no index", BaseOffset + userStart + 16);
        var s = body.Buffer.Span;
        int pos = body.EventsStart;
        for (int i = 0; i < body.EventCount; i++)
        {
            int len = (int)Math.Min(Words.U32(s, body.IndexStart + 4 * i, IsBigEndian), int.MaxValue);
            if (len > body.EventsEnd - pos)
                throw body.Map.Error($"entry {i} of {len} bytes runs past the record data", body.IndexStart + 4 * i);
            if (i == 0 && fh.HasDictionary)
                Dictionary = Encoding.ASCII.GetString(s.Slice(pos, len)).TrimEnd('\0');
            else if (FirstEvent == null && fh.HasFirstEvent)
                FirstEvent = EvioNode.Parse(body.Buffer, body.Map, pos, pos + len, EvioStructureKind.Bank, IsBigEndian);
            pos += len;
        }
    }

    /// <summary>v4: block 1 may start with a dictionary bank (bit 8, not counted) and a first event (bit 14, counted).</summary>
    private void ReadV4Preamble()
    {
        var h = RecordParser.ParseV4(Data.Span, 0, IsBigEndian, BaseOffset);
        var body = RecordParser.OpenV4(Data, h, BaseOffset);
        int pos = body.EventsStart;
        if (h.HasDictionary)
        {
            var dict = EvioNode.Parse(Data, body.Map, pos, body.EventsEnd, EvioStructureKind.Bank, IsBigEndian);
            if (dict.DataType != EvioDataType.CharStar8)
                throw new EvioFormatException($"dictionary bank has type {dict.DataType}, expected CHARSTAR8", BaseOffset + pos);
            var strings = EvioStrings.Decode(dict.RawData);
            Dictionary = strings.Length > 0 ? strings[0] : "";
            pos += dict.TotalBytes;
        }
        if (h.HasFirstEvent && h.EventCount > 0)
            FirstEvent = EvioNode.Parse(Data, body.Map, pos, body.EventsEnd, EvioStructureKind.Bank, IsBigEndian);
    }

    /// <summary>Bytes to skip at the start of a v4 block (its dictionary bank).</summary>
    internal int SkipDictionary(RecordBody body, EvioRecordHeader h)
    {
        if (!h.HasDictionary) return 0;
        return EvioNode.Parse(body.Buffer, body.Map, body.EventsStart, body.EventsEnd, EvioStructureKind.Bank, IsBigEndian).TotalBytes;
    }
}

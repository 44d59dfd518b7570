namespace Streams.Formats.Evio;

/// <summary>
/// Reads EVIO 4 or 6 from a <see cref="Stream"/> (a pipe, a socket, a file of any size) one record
/// or block at a time: memory is bounded by the largest record (checked against
/// <see cref="EvioReaderOptions.MaxRecordBytes"/> before it is allocated). Each record is read into
/// its own buffer, so the events of a record stay valid after the reader moves on.
/// </summary>
public sealed class EvioStreamReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly int _headerBytes;
    private byte[]? _pending; // a record/block header already read while sniffing the format
    private long _position;

    /// <summary>Reads the file header (v6: with its dictionary and first event) from <paramref name="stream"/>.</summary>
    public EvioStreamReader(Stream stream, EvioReaderOptions? options = null, bool leaveOpen = false)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _leaveOpen = leaveOpen;
        Options = options ?? new EvioReaderOptions();
        var first = new byte[32];
        Fill(first, 0);
        IsBigEndian = Words.DetectBigEndian(first, 0);
        Version = (int)(Words.U32(first, 20, IsBigEndian) & 0xff);
        if (Version is not (4 or 6)) throw new EvioFormatException($"unsupported EVIO version {Version}", 20);
        _headerBytes = Version == 4 ? RecordParser.V4HeaderBytes : RecordParser.V6HeaderBytes;
        uint id = Words.U32(first, 0, IsBigEndian);
        if (Version == 6 && id is EvioFileHeader.EvioId or EvioFileHeader.HipoId)
        {
            // File header + index + user header: read them whole and let EvioReader parse them.
            var header = new byte[56];
            first.CopyTo(header, 0);
            Fill(header.AsSpan(32), 32);
            long words = Words.U32(header, 8, IsBigEndian);
            long index = Words.U32(header, 16, IsBigEndian);
            long user = Words.U32(header, 24, IsBigEndian);
            long total = 4 * words + index + user + Words.Pad4((int)(user & 3));
            if (words < 14 || total > Options.MaxRecordBytes)
                throw new EvioFormatException($"file header claims {total} bytes of header, index and user header", 8);
            var prefix = new byte[total];
            header.CopyTo(prefix, 0);
            Fill(prefix.AsSpan(56), 56);
            var r = new EvioReader(prefix, Options);
            FileHeader = r.FileHeader;
            Dictionary = r.Dictionary;
            FirstEvent = r.FirstEvent;
            _position = total;
        }
        else
        {
            _pending = first;
            _position = 0;
        }
    }

    public EvioReaderOptions Options { get; }

    public int Version { get; }

    public bool IsBigEndian { get; }

    public EvioFileHeader? FileHeader { get; }

    public string? Dictionary { get; private set; }

    public EvioNode? FirstEvent { get; private set; }

    /// <summary>
    /// The events, reading records as they are needed. Offsets in events and exceptions are offsets
    /// in the stream. Can be enumerated once.
    /// </summary>
    public IEnumerable<EvioEvent> ReadEvents()
    {
        int index = 0;
        bool firstBlock = true;
        while (true)
        {
            var buffer = ReadRecord(out long offset, out bool trailer);
            if (buffer == null || trailer) yield break;
            var r = new EvioReader(buffer, Options, offset);
            if (firstBlock && Version == 4)
            {
                Dictionary = r.Dictionary;
                FirstEvent = r.FirstEvent;
            }
            firstBlock = false;
            foreach (var ev in r.Events) yield return ev with { Index = index++ };
            var h = Version == 4 ? RecordParser.ParseV4(buffer, 0, IsBigEndian, offset) : RecordParser.ParseV6(buffer, 0, IsBigEndian, offset);
            if (h.IsLastRecord) yield break;
        }
    }

    /// <summary>The next whole record or block, or null at a clean end of the stream.</summary>
    private byte[]? ReadRecord(out long offset, out bool trailer)
    {
        offset = _position;
        trailer = false;
        var header = new byte[_headerBytes];
        int have = 0;
        if (_pending != null)
        {
            _pending.AsSpan(0, Math.Min(_pending.Length, header.Length)).CopyTo(header);
            have = Math.Min(_pending.Length, header.Length);
            _pending = null;
        }
        else
        {
            have = _stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (have == 0) return null;
        }
        if (have < header.Length) Fill(header.AsSpan(have), _position + have);
        uint magic = Words.U32(header, 28, IsBigEndian);
        if (magic != Words.Magic) throw new EvioFormatException($"bad magic word 0x{magic:x8}", offset + 28);
        long length = 4L * Words.U32(header, 0, IsBigEndian);
        uint bits = Words.U32(header, 20, IsBigEndian);
        if ((bits & 0xff) != Version) throw new EvioFormatException($"record version {bits & 0xff}, expected {Version}", offset + 20);
        if (length < header.Length || length > Options.MaxRecordBytes)
            throw new EvioFormatException($"record length {length} bytes is shorter than its header or over the limit", offset);
        var buffer = new byte[length];
        header.CopyTo(buffer, 0);
        Fill(buffer.AsSpan(header.Length), offset + header.Length);
        _position += length;
        // The same header checks as the in-memory reader, the trailer included.
        var h = Version == 4 ? RecordParser.ParseV4(buffer, 0, IsBigEndian, offset) : RecordParser.ParseV6(buffer, 0, IsBigEndian, offset);
        trailer = h.IsTrailer;
        return buffer;
    }

    private void Fill(Span<byte> destination, long at)
    {
        int n = _stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (n < destination.Length)
            throw new EvioFormatException($"stream ends after {n} of {destination.Length} bytes", at + n);
    }

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}

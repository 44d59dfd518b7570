using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Streams.Formats.Evio;

namespace Streams.Transports.Files.Evio;

/// <summary>
/// Reads the records (EVIO 6) or blocks (EVIO 4) of a file that may still be growing (CODA writing it): each call
/// returns the next record once it is whole on disk, or nothing yet. Memory is one pooled buffer of the largest record
/// (bounded by <see cref="EvioReaderOptions.MaxRecordBytes"/>). The file ends at the v6 trailer or the v4 last block.
/// </summary>
internal sealed class EvioRecordTail : IDisposable
{
    private const uint Magic = 0xc0da0100;
    private readonly SafeFileHandle _file;
    private readonly int _maxRecordBytes;
    private byte[] _buffer = [];
    private int _headerBytes;
    private bool _bigEndian;
    private long _position;

    public EvioRecordTail(string path, int maxRecordBytes = 256 << 20)
    {
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        _maxRecordBytes = maxRecordBytes;
    }

    /// <summary>The offset in the file of the next record.</summary>
    public long Position => _position;

    /// <summary>True once the trailer (v6) or the last block (v4) has been read.</summary>
    public bool Ended { get; private set; }

    /// <summary>4 or 6, once the file header has been read (0 before).</summary>
    public int Version { get; private set; }

    /// <summary>The next whole record (valid until the next call), or null when it is not whole on disk yet or the file has ended.</summary>
    /// <exception cref="EvioFormatException">a malformed header; <see cref="EvioFormatException.Offset"/> is the byte in the file.</exception>
    public ReadOnlyMemory<byte>? TryReadRecord(out long offset)
    {
        offset = _position;
        if (Ended) return null;
        var available = RandomAccess.GetLength(_file) - _position;
        if (Version == 0 && !TryReadFileHeader(available)) return null;
        offset = _position;
        available = RandomAccess.GetLength(_file) - _position;
        if (available < _headerBytes) return null;
        Span<byte> header = stackalloc byte[56];
        header = header[.._headerBytes];
        RandomAccess.Read(_file, header, _position);
        if (U32(header, 28) != Magic) throw new EvioFormatException($"bad magic word 0x{U32(header, 28):x8} in the record header", _position + 28);
        var length = 4L * U32(header, 0);
        if (length < _headerBytes || length > _maxRecordBytes) throw new EvioFormatException($"record length {length} bytes is shorter than its header or over the limit of {_maxRecordBytes}", _position);
        var bits = U32(header, 20);
        if ((bits & 0xff) != Version) throw new EvioFormatException($"record version {bits & 0xff}, expected {Version}", _position + 20);
        if (Version == 6 && (bits >> 28) is 3 or 7)
        {
            Ended = true; // the trailer: its index lists what has been read
            return null;
        }

        if (available < length) return null;
        if (_buffer.Length < length)
        {
            if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent((int)length);
        }

        if (RandomAccess.Read(_file, _buffer.AsSpan(0, (int)length), _position) != length) return null;
        _position += length;
        if (Version == 4 && ((bits >> 9) & 1) != 0) Ended = true;
        return _buffer.AsMemory(0, (int)length);
    }

    private bool TryReadFileHeader(long available)
    {
        if (available < 32) return false;
        Span<byte> first = stackalloc byte[56];
        RandomAccess.Read(_file, first[..32], 0);
        _bigEndian = BinaryPrimitives.ReadUInt32LittleEndian(first[28..]) switch
        {
            Magic => false,
            0x0001dac0 => true,
            var m => throw new EvioFormatException($"bad magic word 0x{m:x8} (expected 0xc0da0100): not an EVIO file", 28),
        };
        var version = (int)(U32(first, 20) & 0xff);
        if (version is not (4 or 6)) throw new EvioFormatException($"unsupported EVIO version {version}", 20);
        long prefix = 0;
        if (version == 6 && U32(first, 0) is EvioFileHeader.EvioId or EvioFileHeader.HipoId)
        {
            if (available < 56) return false;
            RandomAccess.Read(_file, first, 0);
            long words = U32(first, 8), index = U32(first, 16), user = U32(first, 24);
            if (words < 14) throw new EvioFormatException($"file header length {words} words < 14", 8);
            prefix = (4 * words) + index + user + ((4 - (user & 3)) & 3);
            if (available < prefix) return false;
        }

        Version = version;
        _headerBytes = version == 4 ? 32 : 56;
        _position = prefix;
        return true;
    }

    private uint U32(ReadOnlySpan<byte> s, int at) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);

    public void Dispose()
    {
        _file.Dispose();
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}

using System.Buffers.Binary;
using K4os.Compression.LZ4;

namespace Streams.Formats.Hipo;

/// <summary>
/// A parsed, checked record header (14 words, same layout as evio 6). Each record carries its
/// own byte order in its magic word, as the C++ reader decides per record.
/// </summary>
internal readonly record struct RecordHeader(
    long Position,
    bool BigEndian,
    int RecordWords,
    int HeaderWords,
    int EventCount,
    int BitInfo,
    int UserHeaderLength,
    int EventsLength,
    int CompressionType,
    long UserWordOne,
    long UserWordTwo)
{
    public long ByteLength => RecordWords * 4L;

    /// <summary>Padding of the compressed data, bits 24-25 of the bit-info word.</summary>
    public int DataPadding => (BitInfo >> 24) & 3;

    /// <summary>Padding of the user header, bits 20-21.</summary>
    public int UserHeaderPadding => (BitInfo >> 20) & 3;

    /// <summary>Bytes of the decompressed record: index array, user header + padding, events.</summary>
    public long DecompressedLength => (4L * EventCount) + UserHeaderLength + UserHeaderPadding + EventsLength;

    /// <summary>
    /// Reads and checks the header at <paramref name="position"/> against the bytes that remain
    /// before <paramref name="limit"/> (the end of the file or of the enclosing region).
    /// </summary>
    public static RecordHeader Read(HipoSource source, long position, long limit)
    {
        if (position < 0 || position > limit - Layout.HeaderBytes)
        {
            throw new HipoFormatException($"record header needs {Layout.HeaderBytes} bytes, {Math.Max(0, limit - position)} remain", position);
        }
        ReadOnlySpan<byte> h = source.Read(position, Layout.HeaderBytes).Span;
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(h[28..]);
        bool big = magic switch
        {
            Layout.Magic => false,
            Layout.MagicSwapped => true,
            _ => throw new HipoFormatException($"record magic 0x{magic:x8} is not 0xc0da0100", position + 28),
        };
        var w = new Words(h, big);

        long remaining = limit - position;
        uint recordWords = w.U(0);
        uint headerWords = w.U(8);
        if (headerWords < Layout.HeaderWords || headerWords > recordWords)
        {
            throw new HipoFormatException($"record header length {headerWords} words outside {Layout.HeaderWords}..{recordWords}", position + 8);
        }
        if (recordWords * 4L > remaining)
        {
            throw new HipoFormatException($"record length {recordWords} words runs past the end ({remaining} bytes remain)", position);
        }
        if (recordWords * 4L > Array.MaxLength)
        {
            throw new HipoFormatException($"record of {recordWords} words is larger than one buffer can hold", position);
        }
        uint events = w.U(12);
        uint userHeader = w.U(24);
        uint eventsLength = w.U(32);
        uint compression = w.U(36);
        // Word 5 (index length) is ignored like the C++ reader: the index is 4 * event count.
        var header = new RecordHeader(position, big, (int)recordWords, (int)headerWords, (int)Math.Min(events, int.MaxValue),
            (int)w.U(20), (int)Math.Min(userHeader, int.MaxValue), (int)Math.Min(eventsLength, int.MaxValue),
            (int)(compression >> 28), w.L(40), w.L(48));
        long data = (recordWords - headerWords) * 4L;
        long maxOut = header.CompressionType == 0 ? data : (data * Layout.Lz4MaxRatio) + 64;
        if (events > int.MaxValue / 4 || userHeader > int.MaxValue || eventsLength > int.MaxValue
            || header.DecompressedLength > Math.Min(maxOut, Array.MaxLength))
        {
            throw new HipoFormatException(
                $"record claims {events} events, {userHeader} user-header and {eventsLength} event bytes, more than its {data} data bytes can hold",
                position + 12);
        }
        if (header.CompressionType is not (0 or 1 or 2))
        {
            throw new HipoFormatException($"unsupported compression type {header.CompressionType} (only none and LZ4)", position + 36);
        }
        // A compressed record is header + compressed words; the C++ reader trusts the record
        // length alone, but the two disagreeing means one of them lies.
        if (header.CompressionType != 0 && (compression & 0x0FFFFFFF) != recordWords - headerWords)
        {
            throw new HipoFormatException(
                $"compressed length {compression & 0x0FFFFFFF} words differs from the record's {recordWords - headerWords} data words", position + 36);
        }
        if (header.CompressionType != 0 && header.DataPadding > data)
        {
            throw new HipoFormatException("compressed-data padding exceeds the data", position + 20);
        }
        return header;
    }
}

/// <summary>Header words in either byte order.</summary>
internal readonly ref struct Words(ReadOnlySpan<byte> bytes, bool bigEndian)
{
    private readonly ReadOnlySpan<byte> _b = bytes;

    public uint U(int at) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(_b[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(_b[at..]);

    public long L(int at) => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(_b[at..]) : BinaryPrimitives.ReadInt64LittleEndian(_b[at..]);
}

/// <summary>A decompressed record: its events as slices of one buffer.</summary>
internal sealed class DecodedRecord
{
    private DecodedRecord(RecordHeader header, ReadOnlyMemory<byte>[] events)
    {
        Header = header;
        Events = events;
    }

    public RecordHeader Header { get; }

    public ReadOnlyMemory<byte>[] Events { get; }

    public static DecodedRecord Decode(HipoSource source, RecordHeader h)
    {
        long dataStart = h.Position + (h.HeaderWords * 4L);
        int dataLength = (h.RecordWords - h.HeaderWords) * 4;
        int outLength = (int)h.DecompressedLength;
        ReadOnlyMemory<byte> buffer;
        if (h.CompressionType == 0)
        {
            // Uncompressed: from memory the data are used in place, nothing copied.
            buffer = source.Read(dataStart, outLength);
        }
        else
        {
            // Raw LZ4 block (no frame), zero padded to 4 bytes; the pad count is in bit info.
            ReadOnlySpan<byte> src = source.Read(dataStart, dataLength - h.DataPadding).Span;
            var output = new byte[outLength];
            int n = LZ4Codec.Decode(src, output);
            if (n != outLength)
            {
                throw new HipoFormatException(
                    n < 0 ? "LZ4 data are corrupt or decode to more than the header says"
                          : $"LZ4 data decode to {n} bytes, header says {outLength}", dataStart);
            }
            buffer = output;
        }
        ReadOnlySpan<byte> b = buffer.Span;
        var events = new ReadOnlyMemory<byte>[h.EventCount];
        // Event k follows the index array and the padded user header (record.cpp:407).
        long pos = (4L * h.EventCount) + h.UserHeaderLength + h.UserHeaderPadding;
        for (int i = 0; i < h.EventCount; i++)
        {
            int len = h.BigEndian ? BinaryPrimitives.ReadInt32BigEndian(b[(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(b[(4 * i)..]);
            if (len < 0 || len > outLength - pos)
            {
                throw new HipoFormatException(
                    $"event {i} length {len} runs past the record's {h.EventsLength} event bytes (decompressed byte {4 * i})", h.Position);
            }
            events[i] = buffer.Slice((int)pos, len);
            pos += len;
        }
        return new DecodedRecord(h, events);
    }
}

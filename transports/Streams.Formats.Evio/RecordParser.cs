using System.IO.Compression;
using System.Runtime.InteropServices;
using K4os.Compression.LZ4;

namespace Streams.Formats.Evio;

/// <summary>The body of an opened v6 record or v4 block: where its index, user header and events lie.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct RecordBody(
    ReadOnlyMemory<byte> Buffer, OffsetMap Map, int IndexStart, int EventCount, int UserHeaderStart,
    int UserHeaderBytes, int EventsStart, int EventsEnd, bool HasIndex, int Number);

/// <summary>Parses record/block headers and opens record bodies, checking every length against what remains.</summary>
internal static class RecordParser
{
    public const int V6HeaderBytes = 56;
    public const int V4HeaderBytes = 32;

    public static EvioRecordHeader ParseV6(ReadOnlySpan<byte> s, int pos, bool bigEndian, long b)
    {
        if (s.Length - pos < V6HeaderBytes)
            throw new EvioFormatException($"record header needs {V6HeaderBytes} bytes, {s.Length - pos} remain", b + pos);
        CheckMagic(s, pos, bigEndian, b);
        var h = new EvioRecordHeader
        {
            Offset = pos,
            LengthWords = Words.U32(s, pos, bigEndian),
            Number = Words.U32(s, pos + 4, bigEndian),
            HeaderWords = Words.U32(s, pos + 8, bigEndian),
            EventCount = Words.U32(s, pos + 12, bigEndian),
            IndexBytes = Words.U32(s, pos + 16, bigEndian),
            BitInfo = Words.U32(s, pos + 20, bigEndian),
            UserHeaderBytes = Words.U32(s, pos + 24, bigEndian),
            DataBytes = Words.U32(s, pos + 32, bigEndian),
            CompressionWord = Words.U32(s, pos + 36, bigEndian),
            UserRegister1 = Words.U64(s, pos + 40, bigEndian),
            UserRegister2 = Words.U64(s, pos + 48, bigEndian),
        };
        if (h.Version != 6) throw new EvioFormatException($"record version {h.Version}, expected 6", b + pos + 20);
        if (h.HeaderWords < 14) throw new EvioFormatException($"record header length {h.HeaderWords} words < 14", b + pos + 8);
        if (h.LengthBytes < 4L * h.HeaderWords)
            throw new EvioFormatException($"record length {h.LengthWords} words is shorter than its header", b + pos);
        if (h.LengthBytes > s.Length - pos)
            throw new EvioFormatException($"record length {h.LengthBytes} bytes runs past the end ({s.Length - pos} remain)", b + pos);
        return h;
    }

    public static EvioRecordHeader ParseV4(ReadOnlySpan<byte> s, int pos, bool bigEndian, long b)
    {
        if (s.Length - pos < V4HeaderBytes)
            throw new EvioFormatException($"block header needs {V4HeaderBytes} bytes, {s.Length - pos} remain", b + pos);
        CheckMagic(s, pos, bigEndian, b);
        var h = new EvioRecordHeader
        {
            Offset = pos,
            LengthWords = Words.U32(s, pos, bigEndian),
            Number = Words.U32(s, pos + 4, bigEndian),
            HeaderWords = Words.U32(s, pos + 8, bigEndian),
            EventCount = Words.U32(s, pos + 12, bigEndian),
            IndexBytes = Words.U32(s, pos + 16, bigEndian),
            BitInfo = Words.U32(s, pos + 20, bigEndian),
        };
        if (h.Version != 4) throw new EvioFormatException($"block version {h.Version}, expected 4", b + pos + 20);
        if (h.HeaderWords < 8) throw new EvioFormatException($"block header length {h.HeaderWords} words < 8", b + pos + 8);
        if (h.LengthBytes < 4L * h.HeaderWords)
            throw new EvioFormatException($"block length {h.LengthWords} words is shorter than its header", b + pos);
        if (h.LengthBytes > s.Length - pos)
            throw new EvioFormatException($"block length {h.LengthBytes} bytes runs past the end ({s.Length - pos} remain)", b + pos);
        return h;
    }

    private static void CheckMagic(ReadOnlySpan<byte> s, int pos, bool bigEndian, long b)
    {
        uint m = Words.U32(s, pos + 28, bigEndian);
        if (m != Words.Magic) throw new EvioFormatException($"bad magic word 0x{m:x8}", b + pos + 28);
    }

    /// <summary>A v4 block: events are whole banks concatenated after the header; no index.</summary>
    public static RecordBody OpenV4(ReadOnlyMemory<byte> file, EvioRecordHeader h, long b) =>
        new(file, new OffsetMap(b, false), 0, (int)Math.Min(h.EventCount, int.MaxValue), 0, 0,
            (int)(h.Offset + 4L * h.HeaderWords), (int)(h.Offset + h.LengthBytes), false, (int)h.Number);

    /// <summary>
    /// Opens a v6 record, inflating it when compressed. Trap: a compressed record is ONE raw LZ4 (or
    /// gzip) block of index + padded user header + events, so nothing can be found before it is
    /// inflated; its exact size is 4 * (word 10 &amp; 0x0fffffff) minus the pad in bits 24-25, and the
    /// inflated size is index bytes + padded user header + word 9 (events only, unpadded).
    /// </summary>
    public static RecordBody OpenV6(ReadOnlyMemory<byte> file, EvioRecordHeader h, EvioReaderOptions options, long b)
    {
        long pos = h.Offset;
        long bodyStart = pos + 4L * h.HeaderWords;
        long bodyBytes = h.LengthBytes - 4L * h.HeaderWords;
        if ((h.IndexBytes & 3) != 0) throw new EvioFormatException($"index length {h.IndexBytes} is not a multiple of 4", b + pos + 16);
        if (h.IndexBytes != 0 && h.IndexBytes / 4 != h.EventCount)
            throw new EvioFormatException($"index of {h.IndexBytes} bytes does not match {h.EventCount} events", b + pos + 16);
        // Every event takes at least 4 bytes, so a count larger than the data is a lie.
        if (h.EventCount > h.DataBytes / 4 && h.EventCount > 0)
            throw new EvioFormatException($"{h.EventCount} events cannot fit in {h.DataBytes} data bytes", b + pos + 12);
        long userPadded = h.UserHeaderBytes + Words.Pad4((int)(h.UserHeaderBytes & 3));
        long needed = h.IndexBytes + userPadded + h.DataBytes;
        ReadOnlyMemory<byte> buffer;
        OffsetMap map;
        int start;
        if (h.Compression == EvioCompression.None)
        {
            if (needed > bodyBytes)
                throw new EvioFormatException($"index + user header + events ({needed} bytes) exceed the record ({bodyBytes} bytes)", b + pos);
            buffer = file;
            map = new OffsetMap(b, false);
            start = (int)bodyStart;
        }
        else
        {
            buffer = Inflate(file, h, bodyStart, bodyBytes, needed, options, b);
            map = new OffsetMap(b + pos, true);
            start = 0;
        }
        int userStart = start + (int)h.IndexBytes;
        int eventsStart = userStart + (int)userPadded;
        return new RecordBody(buffer, map, start, (int)h.EventCount, userStart, (int)h.UserHeaderBytes,
            eventsStart, eventsStart + (int)h.DataBytes, h.IndexBytes != 0, (int)h.Number);
    }

    private static byte[] Inflate(ReadOnlyMemory<byte> file, EvioRecordHeader h, long bodyStart, long bodyBytes,
        long needed, EvioReaderOptions options, long b)
    {
        long pos = h.Offset;
        long compressed = h.CompressedBytes;
        if (compressed <= 0 || compressed > bodyBytes)
            throw new EvioFormatException($"compressed length {compressed} bytes does not fit the record ({bodyBytes} bytes)", b + pos + 36);
        // Bound the allocation: by the caller's limit and by the best ratio the codec can reach,
        // so a lying uncompressed length cannot make us allocate gigabytes.
        long maxRatio = h.Compression == EvioCompression.Gzip ? 1032 : 255;
        if (needed > options.MaxRecordBytes || needed > compressed * maxRatio + 64)
            throw new EvioFormatException($"declared uncompressed size {needed} bytes is impossible for {compressed} compressed bytes (or over the limit)", b + pos + 32);
        var src = file.Slice((int)bodyStart, (int)compressed);
        var dst = new byte[needed];
        switch (h.Compression)
        {
            case EvioCompression.Lz4:
            case EvioCompression.Lz4Best:
                int n = LZ4Codec.Decode(src.Span, dst);
                if (n != needed)
                    throw new EvioFormatException($"LZ4 block inflated to {n} bytes, header says {needed}", b + pos);
                break;
            case EvioCompression.Gzip:
                InflateGzip(src, dst, b + pos);
                break;
            default:
                throw new EvioFormatException($"unknown compression type {(int)h.Compression}", b + pos + 36);
        }
        return dst;
    }

    private static void InflateGzip(ReadOnlyMemory<byte> src, byte[] dst, long pos)
    {
        byte[] copy = MemoryMarshal.TryGetArray(src, out var seg) && seg.Array != null && seg.Offset == 0 && seg.Count == seg.Array.Length
            ? seg.Array
            : src.ToArray();
        try
        {
            using var ms = new MemoryStream(copy, writable: false);
            using var gz = new GZipStream(ms, CompressionMode.Decompress);
            int n = gz.ReadAtLeast(dst, dst.Length, throwOnEndOfStream: false);
            if (n != dst.Length)
                throw new EvioFormatException($"gzip record inflated to {n} bytes, header says {dst.Length}", pos);
        }
        catch (InvalidDataException e)
        {
            throw new EvioFormatException("corrupt gzip record: " + e.Message, pos, -1, e);
        }
    }
}

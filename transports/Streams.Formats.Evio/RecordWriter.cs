using System.IO.Compression;
using K4os.Compression.LZ4;

namespace Streams.Formats.Evio;

/// <summary>Encodes EVIO 6 record headers, bodies and the trailer.</summary>
internal static class RecordWriter
{
    /// <summary>
    /// One record: header, then [index][events][pad] or, compressed, one raw block of index + events
    /// padded to 4 bytes, the pad recorded in bits 24-25 and the word count in word 10.
    /// </summary>
    public static byte[] Build(uint number, IReadOnlyList<uint> lengths, ReadOnlySpan<byte> events,
        EvioCompression compression, int eventType, bool be)
    {
        int indexBytes = 4 * lengths.Count;
        var plain = new byte[indexBytes + events.Length];
        for (int i = 0; i < lengths.Count; i++) Words.Put32(plain, 4 * i, lengths[i], be);
        events.CopyTo(plain.AsSpan(indexBytes));
        int dataPad = Words.Pad4(events.Length);
        uint bits = 6u | ((uint)(eventType & 0xf) << 10) | ((uint)dataPad << 22);
        byte[] body;
        uint compWord = 0;
        if (compression == EvioCompression.None)
        {
            body = new byte[plain.Length + dataPad];
            plain.CopyTo(body, 0);
        }
        else
        {
            var packed = Compress(plain, compression);
            int pad = Words.Pad4(packed.Length);
            body = new byte[packed.Length + pad];
            packed.CopyTo(body, 0);
            bits |= (uint)pad << 24;
            compWord = ((uint)compression << 28) | (uint)(body.Length / 4);
        }
        var rec = new byte[56 + body.Length];
        Words.Put32(rec, 0, (uint)(rec.Length / 4), be);
        Words.Put32(rec, 4, number, be);
        Words.Put32(rec, 8, 14, be);
        Words.Put32(rec, 12, (uint)lengths.Count, be);
        Words.Put32(rec, 16, (uint)indexBytes, be);
        Words.Put32(rec, 20, bits, be);
        Words.Put32(rec, 28, Words.Magic, be);
        Words.Put32(rec, 32, (uint)events.Length, be);
        Words.Put32(rec, 36, compWord, be);
        body.CopyTo(rec, 56);
        return rec;
    }

    /// <summary>The trailer: header type 3, last-record bit, index of (record bytes, event count) pairs.</summary>
    public static byte[] Trailer(uint number, IReadOnlyList<(uint Bytes, uint Events)> records, bool be)
    {
        var t = new byte[56 + 8 * records.Count];
        Words.Put32(t, 0, (uint)(t.Length / 4), be);
        Words.Put32(t, 4, number, be);
        Words.Put32(t, 8, 14, be);
        Words.Put32(t, 16, (uint)(8 * records.Count), be);
        Words.Put32(t, 20, (3u << 28) | (1u << 9) | 6u, be);
        Words.Put32(t, 28, Words.Magic, be);
        for (int i = 0; i < records.Count; i++)
        {
            Words.Put32(t, 56 + 8 * i, records[i].Bytes, be);
            Words.Put32(t, 60 + 8 * i, records[i].Events, be);
        }
        return t;
    }

    /// <summary>An EVIO 4 block: 8-word header (length, number, 8, count, 0, bit info, 0, magic), then whole banks.</summary>
    public static byte[] BlockV4(uint number, uint count, uint bits, ReadOnlySpan<byte> events, bool be)
    {
        var b = new byte[32 + events.Length];
        Words.Put32(b, 0, (uint)(b.Length / 4), be);
        Words.Put32(b, 4, number, be);
        Words.Put32(b, 8, 8, be);
        Words.Put32(b, 12, count, be);
        Words.Put32(b, 20, bits | 4u, be);
        Words.Put32(b, 28, Words.Magic, be);
        events.CopyTo(b.AsSpan(32));
        return b;
    }

    private static byte[] Compress(byte[] plain, EvioCompression compression)
    {
        switch (compression)
        {
            case EvioCompression.Lz4:
            case EvioCompression.Lz4Best:
                var dst = new byte[LZ4Codec.MaximumOutputSize(plain.Length)];
                int n = LZ4Codec.Encode(plain, dst, compression == EvioCompression.Lz4 ? LZ4Level.L00_FAST : LZ4Level.L09_HC);
                if (n <= 0) throw new InvalidOperationException("LZ4 compression failed");
                return dst.AsSpan(0, n).ToArray();
            case EvioCompression.Gzip:
                using (var ms = new MemoryStream())
                {
                    using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(plain);
                    return ms.ToArray();
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(compression));
        }
    }
}

using System.Buffers.Binary;
using K4os.Compression.LZ4;

namespace Streams.Formats.Hipo;

/// <summary>Writes one record: 14-word header, then the (compressed) index array and events.</summary>
internal static class RecordWriter
{
    /// <summary>
    /// Writes a record of the events in <paramref name="events"/> (concatenated, lengths in
    /// <paramref name="lengths"/>) and returns its byte length.
    /// </summary>
    public static int Write(Stream output, ReadOnlySpan<int> lengths, ReadOnlySpan<byte> events, bool compress, long userWordOne)
    {
        int n = lengths.Length;
        int plainLength = (4 * n) + events.Length;
        byte[] plain = new byte[plainLength];
        for (int i = 0; i < n; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(plain.AsSpan(4 * i), lengths[i]);
        }
        events.CopyTo(plain.AsSpan(4 * n));
        byte[] body;
        int bodyLength;
        if (compress)
        {
            // A raw LZ4 block over index array + events, as LZ4_compress_fast(..., 1) writes it.
            body = new byte[LZ4Codec.MaximumOutputSize(plainLength) + 4];
            bodyLength = LZ4Codec.Encode(plain, body, LZ4Level.L00_FAST);
            if (bodyLength <= 0 && plainLength > 0)
            {
                throw new InvalidOperationException("LZ4 compression failed");
            }
        }
        else
        {
            body = plain;
            bodyLength = plainLength;
        }
        int pad = (4 - (bodyLength % 4)) % 4;
        int words = (bodyLength + pad) / 4;
        Span<byte> h = stackalloc byte[Layout.HeaderBytes];
        h.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(h, Layout.HeaderWords + words);
        // Record number stays 0 as in the C++ writer; readers must not rely on it.
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], Layout.HeaderWords);
        BinaryPrimitives.WriteInt32LittleEndian(h[12..], n);
        BinaryPrimitives.WriteInt32LittleEndian(h[16..], 4 * n);
        // Bit info: padding of the compressed data in bits 24-25, version 6; nothing else.
        BinaryPrimitives.WriteInt32LittleEndian(h[20..], (compress ? pad << 24 : 0) | Layout.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(h[28..], Layout.Magic);
        BinaryPrimitives.WriteInt32LittleEndian(h[32..], events.Length);
        BinaryPrimitives.WriteInt32LittleEndian(h[36..], ((compress ? 1 : 0) << 28) | words);
        BinaryPrimitives.WriteInt64LittleEndian(h[40..], userWordOne);
        output.Write(h);
        output.Write(body.AsSpan(0, bodyLength));
        ReadOnlySpan<byte> zeros = [0, 0, 0, 0];
        output.Write(zeros[..pad]);
        return Layout.HeaderBytes + (4 * words);
    }
}

using System.Buffers.Binary;

namespace Streams.Formats.Evio;

/// <summary>Reads header words in a given byte order (the order is found from the magic word).</summary>
internal static class Words
{
    public const uint Magic = 0xc0da0100;
    public const uint MagicSwapped = 0x0001dac0;

    public static uint U32(ReadOnlySpan<byte> s, int at, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);

    /// <summary>64-bit header fields are written as one 64-bit integer in the file's order.</summary>
    public static ulong U64(ReadOnlySpan<byte> s, int at, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s[at..]) : BinaryPrimitives.ReadUInt64LittleEndian(s[at..]);

    public static void Put32(Span<byte> s, int at, uint v, bool bigEndian)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(s[at..], v);
        else BinaryPrimitives.WriteUInt32LittleEndian(s[at..], v);
    }

    public static void Put64(Span<byte> s, int at, ulong v, bool bigEndian)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(s[at..], v);
        else BinaryPrimitives.WriteUInt64LittleEndian(s[at..], v);
    }

    /// <summary>
    /// Byte order from the magic word at byte 28 of any v4 block, v6 file or record header:
    /// read natively as little endian; 0x0001dac0 means the data are big endian.
    /// </summary>
    public static bool DetectBigEndian(ReadOnlySpan<byte> header, long offset)
    {
        if (header.Length < 32) throw new EvioFormatException("header shorter than 32 bytes", offset);
        uint m = BinaryPrimitives.ReadUInt32LittleEndian(header[28..]);
        return m switch
        {
            Magic => false,
            MagicSwapped => true,
            _ => throw new EvioFormatException($"bad magic word 0x{m:x8} (expected 0xc0da0100)", offset + 28),
        };
    }

    public static int Pad4(int n) => (4 - (n & 3)) & 3;
}

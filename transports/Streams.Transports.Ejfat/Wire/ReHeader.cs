using System.Buffers.Binary;

namespace Streams.Transports.Ejfat.Wire;

/// <summary>
/// The 20-byte reassembly header (big-endian): version in the high nibble of byte 0 (1: E2SAR, 2: older ejfat tools),
/// reserved, dataId (u16), bufferOffset (u32, this segment's offset in the event), bufferLength (u32, the whole
/// event), eventNum (u64). An event is keyed by (eventNum, dataId).
/// </summary>
internal readonly record struct ReHeader(byte Version, ushort DataId, uint BufferOffset, uint BufferLength, ulong EventNumber)
{
    public const int Size = 20;

    /// <summary>The version E2SAR writes.</summary>
    public const byte E2sarVersion = 1;

    public void Write(Span<byte> destination)
    {
        var d = destination[..Size];
        d[0] = (byte)(Version << 4);
        d[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], DataId);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], BufferOffset);
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], BufferLength);
        BinaryPrimitives.WriteUInt64BigEndian(d[12..], EventNumber);
    }

    /// <summary>Reads an RE header; false when the span is short or the version is not 1 or 2.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ReHeader header)
    {
        header = default;
        if (source.Length < Size) return false;
        var version = (byte)(source[0] >> 4);
        if (version is not (1 or 2)) return false;
        header = new ReHeader(
            version,
            BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[12..]));
        return true;
    }
}

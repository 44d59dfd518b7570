using System.Buffers.Binary;

namespace Streams.Transports.Ejfat.Wire;

/// <summary>
/// The 28-byte Sync packet a sender sends to the control plane about once per second (big-endian): 'L','C',
/// version 2, reserved, eventSrcId (u32), eventNumber (u64), avgEventRateHz (u32), unixTimeNano (u64).
/// </summary>
internal readonly record struct SyncHeader(uint EventSourceId, ulong EventNumber, uint AverageEventRateHz, ulong UnixTimeNanoseconds)
{
    public const int Size = 28;
    public const byte Version = 2;

    public void Write(Span<byte> destination)
    {
        var d = destination[..Size];
        d[0] = (byte)'L';
        d[1] = (byte)'C';
        d[2] = Version;
        d[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], EventSourceId);
        BinaryPrimitives.WriteUInt64BigEndian(d[8..], EventNumber);
        BinaryPrimitives.WriteUInt32BigEndian(d[16..], AverageEventRateHz);
        BinaryPrimitives.WriteUInt64BigEndian(d[20..], UnixTimeNanoseconds);
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out SyncHeader header)
    {
        header = default;
        if (source.Length < Size || source[0] != 'L' || source[1] != 'C' || source[2] != Version) return false;
        header = new SyncHeader(
            BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[20..]));
        return true;
    }
}

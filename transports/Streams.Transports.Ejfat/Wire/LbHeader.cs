using System.Buffers.Binary;

namespace Streams.Transports.Ejfat.Wire;

/// <summary>
/// The 16-byte load-balancer header (big-endian): 'L','B', version (2 or 3), protocol 1, then v2: reserved, entropy,
/// tick; v3: slotSelect (tick &amp; 0xFFFF), portSelect (= entropy), tick.
/// </summary>
public readonly record struct LbHeader(byte Version, ushort Entropy, ulong Tick)
{
    public const int Size = 16;
    public const byte Magic0 = (byte)'L';
    public const byte Magic1 = (byte)'B';
    public const byte Protocol = 1;

    /// <summary>True when <paramref name="datagram"/> starts with the 'LB' magic.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> datagram) => datagram.Length >= 2 && datagram[0] == Magic0 && datagram[1] == Magic1;

    public void Write(Span<byte> destination)
    {
        if (Version is not (2 or 3)) throw new InvalidOperationException($"LB header version {Version}; 2 or 3 expected");
        var d = destination[..Size];
        d[0] = Magic0;
        d[1] = Magic1;
        d[2] = Version;
        d[3] = Protocol;
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], Version == 3 ? (ushort)(Tick & 0xFFFF) : (ushort)0);
        BinaryPrimitives.WriteUInt16BigEndian(d[6..], Entropy);
        BinaryPrimitives.WriteUInt64BigEndian(d[8..], Tick);
    }

    /// <summary>Reads an LB header; false when the magic, version or protocol is wrong or the span is short.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out LbHeader header)
    {
        header = default;
        if (source.Length < Size || !HasMagic(source)) return false;
        var version = source[2];
        if (version is not (2 or 3) || source[3] != Protocol) return false;
        header = new LbHeader(version, BinaryPrimitives.ReadUInt16BigEndian(source[6..]), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));
        return true;
    }
}

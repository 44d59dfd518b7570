using Streams.Transports.Ejfat.Wire;

namespace Streams.Transports.Ejfat.Sending;

/// <summary>How a sender frames events: LB header or not, header versions, payload per datagram.</summary>
public sealed record FrameOptions
{
    /// <summary>LB header version (2 or 3), or 0 for none (as after a load balancer).</summary>
    public byte LbVersion { get; init; } = 2;

    /// <summary>RE header version: 1 (E2SAR) or 2 (older ejfat tools).</summary>
    public byte ReVersion { get; init; } = ReHeader.E2sarVersion;

    /// <summary>Payload bytes per datagram (<see cref="EjfatWire.MaxPayload"/> of the MTU).</summary>
    public int MaxPayload { get; init; } = EjfatWire.MaxPayload(9000);

    public int HeaderBytes => (LbVersion == 0 ? 0 : LbHeader.Size) + ReHeader.Size;
}

/// <summary>Splits an event into EJFAT datagrams: every segment carries the same tick, entropy, event number and data id.</summary>
public static class Segmenter
{
    /// <summary>Datagrams needed for an event of <paramref name="eventLength"/> bytes (an empty event still takes one).</summary>
    public static int SegmentCount(int eventLength, int maxPayload) => eventLength == 0 ? 1 : (eventLength + maxPayload - 1) / maxPayload;

    /// <summary>Writes datagram <paramref name="index"/> of the event into <paramref name="destination"/>; returns its length.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> eventBytes, int index, FrameOptions frame, ulong eventNumber, ushort dataId, ulong tick, ushort entropy)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var offset = index * frame.MaxPayload;
        var length = Math.Min(frame.MaxPayload, eventBytes.Length - offset);
        var at = WriteHeaders(destination, frame, (uint)offset, (uint)eventBytes.Length, eventNumber, dataId, tick, entropy);
        eventBytes.Slice(offset, length).CopyTo(destination[at..]);
        return at + length;
    }

    /// <summary>Writes the LB (if any) and RE headers of one segment; returns their length.</summary>
    public static int WriteHeaders(Span<byte> destination, FrameOptions frame, uint offset, uint eventLength, ulong eventNumber, ushort dataId, ulong tick, ushort entropy)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var at = 0;
        if (frame.LbVersion != 0)
        {
            new LbHeader(frame.LbVersion, entropy, tick).Write(destination);
            at = LbHeader.Size;
        }

        new ReHeader(frame.ReVersion, dataId, offset, eventLength, eventNumber).Write(destination[at..]);
        return at + ReHeader.Size;
    }
}

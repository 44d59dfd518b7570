namespace Streams.Transports.Ejfat.Wire;

/// <summary>EJFAT constants: ports and sizes.</summary>
public static class EjfatWire
{
    /// <summary>Default data port, 0x4C42 ("LB").</summary>
    public const int DefaultDataPort = 19522;

    /// <summary>LB + RE headers in front of every payload segment.</summary>
    public const int HeadersSize = LbHeader.Size + ReHeader.Size;

    /// <summary>No datagram exceeds this.</summary>
    public const int MaxDatagram = 9000;

    /// <summary>Payload bytes per datagram for an MTU: MTU - IP (20 IPv4 / 40 IPv6) - UDP 8 - LB+RE 36.</summary>
    public static int MaxPayload(int mtu, bool ipv6 = false) => mtu - (ipv6 ? 40 : 20) - 8 - HeadersSize;

    /// <summary>The port an event goes to: base + (entropy &amp; (2^portRange - 1)).</summary>
    public static int PortFor(int basePort, int portRange, ushort entropy) => basePort + (entropy & ((1 << portRange) - 1));
}

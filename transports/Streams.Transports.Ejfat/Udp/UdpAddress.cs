using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Streams.Transports.Ejfat.Udp.LinuxSockets;

namespace Streams.Transports.Ejfat.Udp;

/// <summary>
/// A UDP address without the port, kept in raw form so that a datagram can be addressed to it without an
/// <see cref="IPAddress"/> or <see cref="SocketAddress"/> per datagram (a forwarder precomputes one per member).
/// </summary>
internal readonly struct UdpAddress
{
    private readonly ulong _a; // IPv6: bytes 0..7 as they lie in memory; IPv4: the address in network order in the low 4 bytes
    private readonly ulong _b; // IPv6: bytes 8..15
    private readonly uint _scope;

    private UdpAddress(AddressFamily family, ulong a, ulong b, uint scope)
    {
        Family = family;
        _a = a;
        _b = b;
        _scope = scope;
    }

    public AddressFamily Family { get; }

    /// <summary>
    /// The raw form of <paramref name="address"/>; with <paramref name="asIPv6"/> an IPv4 address becomes its IPv4-mapped
    /// IPv6 form (what a dual-stack socket sends to).
    /// </summary>
    public static UdpAddress From(IPAddress address, bool asIPv6)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (asIPv6 && address.AddressFamily == AddressFamily.InterNetwork) address = address.MapToIPv6();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var n);
        if (n == 4) return new UdpAddress(AddressFamily.InterNetwork, MemoryMarshal.Read<uint>(bytes), 0, 0);
        return new UdpAddress(AddressFamily.InterNetworkV6, MemoryMarshal.Read<ulong>(bytes), MemoryMarshal.Read<ulong>(bytes[8..]), (uint)address.ScopeId);
    }

    /// <summary>Writes sockaddr_in or sockaddr_in6 (Linux layout) for this address and <paramref name="port"/>; returns its length.</summary>
    internal unsafe int Write(byte* destination, int port)
    {
        if (Family == AddressFamily.InterNetwork)
        {
            var s = (SockAddrIn*)destination;
            s->Family = AfInet;
            s->Port = BinaryPrimitives.ReverseEndianness((ushort)port);
            s->Address = (uint)_a;
            s->Zero = 0;
            return sizeof(SockAddrIn);
        }

        var s6 = (SockAddrIn6*)destination;
        s6->Family = AfInet6;
        s6->Port = BinaryPrimitives.ReverseEndianness((ushort)port);
        s6->FlowInfo = 0;
        *(ulong*)s6->Address = _a;
        *(ulong*)(s6->Address + 8) = _b;
        s6->ScopeId = _scope;
        return sizeof(SockAddrIn6);
    }

    /// <summary>
    /// A sockaddr in Linux's layout (as <see cref="Write"/> writes it) as a <see cref="SocketAddress"/> for the per-datagram
    /// fallback (the platform's layout: port and address at the same offsets, the family not), reusing the one of its
    /// family that <paramref name="v4"/> or <paramref name="v6"/> holds.
    /// </summary>
    internal static SocketAddress ToSocketAddress(ReadOnlySpan<byte> name, ref SocketAddress? v4, ref SocketAddress? v6)
    {
        var isV6 = BinaryPrimitives.ReadUInt16LittleEndian(name) == AfInet6;
        var to = isV6 ? v6 ??= new SocketAddress(AddressFamily.InterNetworkV6) : v4 ??= new SocketAddress(AddressFamily.InterNetwork);
        var raw = to.Buffer.Span;
        name.Slice(2, 2).CopyTo(raw[2..]);
        if (isV6)
        {
            raw.Slice(4, 4).Clear();
            name.Slice(8, 20).CopyTo(raw[8..]);
        }
        else
        {
            name.Slice(4, 4).CopyTo(raw[4..]);
        }

        return to;
    }
}

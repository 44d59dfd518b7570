using System.Runtime.InteropServices;

namespace Streams.Transports.Ejfat.Udp;

/// <summary>
/// Our own interop with Linux's recvmmsg(2) and sendmmsg(2): no library offers them for .NET (System.Net.Sockets has one
/// datagram per call), so the structs are written here from the glibc/musl headers for 64-bit Linux (x64 and arm64 share
/// the layout: pointers and size_t are 8 bytes, natural alignment; musl's int msg_iovlen plus zero padding reads the same
/// in little-endian). Only <see cref="BatchedUdp"/> calls these, and only when <see cref="BatchedUdp.IsSupported"/>.
/// </summary>
internal static unsafe partial class LinuxSockets
{
    public const ushort AfInet = 2;
    public const ushort AfInet6 = 10;
    public const int MsgDontWait = 0x40;
    public const int MsgTrunc = 0x20;
    public const int EIntr = 4;
    public const int EAgain = 11; // also EWOULDBLOCK
    public const int ENoBufs = 105;
    public const int EIo = 5;
    public const int EInval = 22;
    public const int EMsgSize = 90;
    public const int EConnRefused = 111;

    /// <summary>SOL_UDP: the level of the UDP socket options and control messages below.</summary>
    public const int SolUdp = 17;

    /// <summary>UDP_SEGMENT (linux/udp.h): a send's control message (u16) that has the kernel cut one large message into datagrams of this size (UDP GSO, Linux 4.18).</summary>
    public const int UdpSegment = 103;

    /// <summary>UDP_GRO: a socket option (int 1) that lets the kernel hand consecutive datagrams of one flow over as one message, and the receive's control message (int) with their size (Linux 5.0).</summary>
    public const int UdpGro = 104;

    /// <summary>The most datagrams one GSO send may carry (UDP_MAX_SEGMENTS; 64 before Linux 6.9, 128 after) and one GRO receive brings.</summary>
    public const int MaxSegments = 64;

    /// <summary>struct cmsghdr (16 bytes): its length (header and data), level and type; the data follows, 8-byte aligned.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    /// <summary>Room for one control message with an int (CMSG_SPACE(4) = 24), rounded up to 32 bytes.</summary>
    public const int ControlSlot = 32;

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (56 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct mmsghdr (64 bytes): the header and, on return, the bytes received or sent.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    /// <summary>struct sockaddr_in (16 bytes); port and address in network byte order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrIn
    {
        public ushort Family;
        public ushort Port;
        public uint Address;
        public ulong Zero;
    }

    /// <summary>struct sockaddr_in6 (28 bytes); port in network byte order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrIn6
    {
        public ushort Family;
        public ushort Port;
        public uint FlowInfo;
        public fixed byte Address[16];
        public uint ScopeId;
    }

    /// <summary>Room for either address (sockaddr_in6 is the larger), rounded up to 32 bytes.</summary>
    public const int AddressSlot = 32;

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(SafeHandle socket, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMMsg(SafeHandle socket, MMsgHdr* messages, uint count, int flags);
}

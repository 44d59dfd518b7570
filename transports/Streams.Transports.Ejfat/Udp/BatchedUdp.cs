using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Streams.Transports.Ejfat.Udp.LinuxSockets;

namespace Streams.Transports.Ejfat.Udp;

/// <summary>
/// Many UDP datagrams per system call: recvmmsg(2) and sendmmsg(2) on Linux, on an existing .NET <see cref="Socket"/>'s
/// handle (our own interop, <see cref="LinuxSockets"/>: .NET has no batched datagram I/O), so that a receiver or a load
/// balancer's forwarder pays one kernel crossing per batch instead of per datagram, into and out of a preallocated
/// <see cref="DatagramBatch"/> (nothing allocated per datagram). Elsewhere (<see cref="IsSupported"/> false) the same calls
/// fall back to one <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, System.Net.SocketAddress)"/> or
/// <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, System.Net.SocketAddress)"/> per datagram.
/// Receiving never blocks (MSG_DONTWAIT): wait with <see cref="Socket.Poll(int, SelectMode)"/> when it returns 0.
/// </summary>
internal static unsafe class BatchedUdp
{
    /// <summary>Whether recvmmsg/sendmmsg are used: 64-bit Linux (x64, arm64), the layout <see cref="LinuxSockets"/> is written for.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>
    /// Turns UDP GRO on for <paramref name="socket"/> (Linux 5.0): the kernel may then hand a run of datagrams of one
    /// sender over as one message (read them with a <see cref="DatagramBatch"/> built with control messages and
    /// <see cref="DatagramBatch.GroSlotBytes"/> slots). False where it is not available: datagrams then come one by one.
    /// </summary>
    public static bool EnableGro(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!IsSupported) return false;
        try
        {
            Span<byte> one = stackalloc byte[sizeof(int)];
            BitConverter.TryWriteBytes(one, 1);
            socket.SetRawSocketOption(SolUdp, UdpGro, one);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the kernel knows UDP GSO (the UDP_SEGMENT option exists, Linux 4.18): probed by setting its per-socket
    /// default to 0 (none), which changes nothing. A device without checksum offload may still refuse a GSO send (EIO):
    /// senders fall back to one datagram per message then.
    /// </summary>
    public static bool ProbeGso(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!IsSupported) return false;
        try
        {
            Span<byte> zero = stackalloc byte[sizeof(int)];
            zero.Clear();
            socket.SetRawSocketOption(SolUdp, UdpSegment, zero);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Whether a send's errno says the kernel or device refuses GSO (EIO: no checksum offload; EINVAL, EMSGSIZE: a datagram over the path's MTU).</summary>
    public static bool RefusesGso(int errno) => errno is EIo or EInval or EMsgSize;

    /// <summary>
    /// <see cref="Send(Socket, GsoBatch, int, int, bool, out int)"/> without waiting, or where sendmmsg is not available
    /// one datagram per message (the same return values; <paramref name="error"/> then a <see cref="SocketError"/>).
    /// </summary>
    public static int Send(Socket socket, GsoBatch batch, int start, int count, out int error)
    {
        if (IsSupported) return Send(socket, batch, start, count, wait: false, out error);
        ArgumentNullException.ThrowIfNull(batch);
        error = 0;
        for (var k = 0; k < count; k++)
        {
            try
            {
                batch.SendOne(socket, start + k);
            }
            catch (SocketException e) when (k > 0 || e.SocketErrorCode is SocketError.WouldBlock or SocketError.NoBufferSpaceAvailable or SocketError.Interrupted)
            {
                if (k == 0) error = (int)e.SocketErrorCode;
                return k;
            }
            catch (SocketException e)
            {
                error = (int)e.SocketErrorCode;
                return -1;
            }
        }

        return count;
    }

    /// <summary>
    /// Sends messages <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 of
    /// <paramref name="batch"/> with sendmmsg(2), waiting for room in the kernel's send queue when <paramref name="wait"/>
    /// (a blocking socket), else not. Returns how many messages went (the kernel may take fewer: send the rest again); 0
    /// when the queue is full or a signal came (wait for the socket to be writable and send again); -1 when the first of
    /// them failed, with <paramref name="error"/> its errno (EIO, EINVAL: GSO refused; ECONNREFUSED: an earlier datagram's
    /// ICMP port-unreachable, now cleared).
    /// </summary>
    public static int Send(Socket socket, GsoBatch batch, int start, int count, bool wait, out int error)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(batch);
        if (start < 0 || start + count > batch.Count) throw new ArgumentOutOfRangeException(nameof(count));
        error = 0;
        if (count <= 0) return 0;
        var n = SendMMsg(socket.SafeHandle, batch.Messages + start, (uint)count, wait ? 0 : MsgDontWait);
        if (n >= 0) return n;
        error = Marshal.GetLastPInvokeError();
        return error is EAgain or ENoBufs or EIntr ? 0 : -1;
    }

    /// <summary>
    /// Receives up to <see cref="DatagramBatch.Capacity"/> waiting datagrams into <paramref name="batch"/> without
    /// blocking; returns how many (also in <see cref="DatagramBatch.Count"/>), 0 when none is waiting.
    /// </summary>
    public static int Receive(Socket socket, DatagramBatch batch) => Receive(socket, batch, IsSupported);

    /// <summary><see cref="Receive(Socket, DatagramBatch)"/> with the path chosen (tests run the fallback on Linux too).</summary>
    internal static int Receive(Socket socket, DatagramBatch batch, bool native)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(batch);
        batch.PrepareReceive();
        var n = 0;
        if (native)
        {
            n = RecvMMsg(socket.SafeHandle, batch.Messages, (uint)batch.Capacity, MsgDontWait, null);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                // EAGAIN: nothing waiting; EINTR: a signal, try on the next round; ECONNREFUSED (111): an ICMP error
                // queued on the socket (reading it cleared it).
                if (errno is not (EAgain or EIntr or 111)) throw new IOException($"recvmmsg failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
                n = 0;
            }
        }
        else
        {
            while (n < batch.Capacity && batch.ReceiveOne(socket, n)) n++;
        }

        batch.Count = n;
        return n;
    }

    /// <summary>
    /// Sends entries <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 of
    /// <paramref name="batch"/> (addressed with <see cref="DatagramBatch.SetOutgoing(int, int, int, in UdpAddress, int)"/>)
    /// without blocking. Returns how many were sent from <paramref name="start"/> on (the kernel may take fewer than
    /// asked: send the rest again); 0 when its send queue is full (<paramref name="error"/> says why: wait for the socket
    /// to be writable and send again); -1 when the first of them failed (<paramref name="error"/>: errno, or the
    /// <see cref="SocketError"/> on the fallback): skip it.
    /// </summary>
    public static int Send(Socket socket, DatagramBatch batch, int start, int count, out int error) => Send(socket, batch, start, count, out error, IsSupported);

    /// <summary><see cref="Send(Socket, DatagramBatch, int, int, out int)"/> with the path chosen.</summary>
    internal static int Send(Socket socket, DatagramBatch batch, int start, int count, out int error, bool native)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, batch.Capacity, nameof(count));
        error = 0;
        if (count <= 0) return 0;
        if (native)
        {
            var n = SendMMsg(socket.SafeHandle, batch.Messages + start, (uint)count, MsgDontWait);
            if (n >= 0) return n;
            error = Marshal.GetLastPInvokeError();
            return error is EAgain or ENoBufs or EIntr ? 0 : -1;
        }

        for (var k = 0; k < count; k++)
        {
            try
            {
                batch.SendOne(socket, start + k);
            }
            catch (SocketException e) when (k > 0 || e.SocketErrorCode is SocketError.WouldBlock or SocketError.NoBufferSpaceAvailable or SocketError.Interrupted)
            {
                if (k == 0) error = (int)e.SocketErrorCode;
                return k;
            }
            catch (SocketException e)
            {
                error = (int)e.SocketErrorCode;
                return -1;
            }
        }

        return count;
    }
}

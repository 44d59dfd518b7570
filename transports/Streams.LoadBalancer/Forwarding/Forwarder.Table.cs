using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Streams.Transports.Ejfat.Udp;

namespace Streams.LoadBalancer.Forwarding;

internal sealed partial class Forwarder
{
    /// <summary>Derives the raw forms the per-datagram path needs from a newly published table (once per table).</summary>
    private void Adopt(ForwardingTable table)
    {
        var destinations = new UdpAddress[table.Members.Count];
        for (var i = 0; i < destinations.Length; i++) destinations[i] = UdpAddress.From(table.Members[i].Address, _sendIPv6);
        var senders4 = new HashSet<uint>();
        var senders6 = new HashSet<UInt128>();
        Span<byte> bytes = stackalloc byte[16];
        foreach (var sender in table.Senders)
        {
            // As ForwardingTable.Allows: an IPv4-mapped source counts as its IPv4 address (so a mapped entry matches nothing).
            sender.TryWriteBytes(bytes, out var n);
            if (n == 4) senders4.Add(MemoryMarshal.Read<uint>(bytes));
            else senders6.Add(MemoryMarshal.Read<UInt128>(bytes));
        }

        var indexOfMember = new Dictionary<int, int>();
        var memberIsIndex = true;
        for (var i = 0; i < table.Members.Count; i++)
        {
            indexOfMember[table.Members[i].Member] = i;
            memberIsIndex &= table.Members[i].Member == i;
        }

        _memberIsIndex = memberIsIndex;
        _indexOfMember = indexOfMember;
        _destinations = destinations;
        _senders4 = senders4;
        _senders6 = senders6;
        _table = table;
    }

    /// <summary><see cref="ForwardingTable.Allows"/> on the raw source of datagram <paramref name="i"/> (no IPAddress per datagram).</summary>
    private bool IsAllowed(int i)
    {
        var source = _rx.SourceAddress(i);
        if (source.Length == 4) return _senders4.Contains(MemoryMarshal.Read<uint>(source));
        if (source.Length != 16) return false;
        // ::ffff:a.b.c.d, as a dual-stack socket reports an IPv4 sender.
        if (MemoryMarshal.Read<ulong>(source) == 0 && MemoryMarshal.Read<uint>(source[8..]) == 0xFFFF0000u) return _senders4.Contains(MemoryMarshal.Read<uint>(source[12..]));
        return _senders6.Contains(MemoryMarshal.Read<UInt128>(source));
    }

    /// <summary>
    /// The data socket, bound exclusively: no SO_REUSEADDR, so a second instance (or another program) on the port fails
    /// here, at once, instead of the kernel sharing the datagrams between them. A dual-stack wildcard takes IPv4 too.
    /// </summary>
    private static Socket Bind(IPEndPoint bind, int receiveBuffer)
    {
        var s = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (bind.AddressFamily == AddressFamily.InterNetworkV6 && bind.Address.Equals(IPAddress.IPv6Any)) s.DualMode = true;
            s.ReceiveBufferSize = receiveBuffer;
            if (OperatingSystem.IsLinux() && s.ReceiveBufferSize < receiveBuffer)
            {
                // SO_RCVBUFFORCE (33) passes net.core.rmem_max when running with CAP_NET_ADMIN; harmless otherwise.
                try
                {
                    s.SetRawSocketOption(1, 33, BitConverter.GetBytes(receiveBuffer));
                }
                catch (SocketException)
                {
                }
            }

            s.Bind(bind);
            s.Blocking = false;
            return s;
        }
        catch (SocketException e)
        {
            s.Dispose();
            var where = bind.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bind.Address}]:{bind.Port}" : $"{bind.Address}:{bind.Port}";
            throw new IOException(e.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? $"UDP {where} is already in use (another load balancer or program holds it)"
                : $"cannot listen on UDP {where}: {e.Message}", e);
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The one socket datagrams leave by: dual-stack IPv6 where the host has IPv6 (IPv4 members are sent to as
    /// IPv4-mapped addresses), else IPv4. Its send buffer is large, as members are sent to in bursts.
    /// </summary>
    private static (Socket Socket, bool IPv6) SendSocket()
    {
        if (Socket.OSSupportsIPv6)
        {
            try
            {
                var s6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true, SendBufferSize = 16 << 20 };
                s6.Blocking = false;
                return (s6, true);
            }
            catch (SocketException)
            {
            }
        }

        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = 16 << 20 };
        s.Blocking = false;
        return (s, false);
    }
}

using System.Net;
using System.Net.Sockets;

namespace Streams.Transports.Ejfat.ControlPlane;

/// <summary>Where a sender behind a load balancer sends, once the load balancer knows it.</summary>
internal sealed record SenderRoute(IPEndPoint Data, IPEndPoint? Sync, IPAddress Self);

/// <summary>
/// A sender's side of the control plane (E2SAR's Segmenter with an LB URI): the data and sync addresses from the URI,
/// else from GetLoadBalancer, and this host added to the instance's senders (AddSenders), without which the data plane
/// drops every datagram it sends.
/// </summary>
internal static class LbSenders
{
    /// <exception cref="Grpc.Core.RpcException">The control plane refused or could not be reached.</exception>
    public static async Task<SenderRoute> JoinAsync(EjfatUri uri, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        using var client = new LbClient(uri);
        IPEndPoint? data = uri.Data, sync = uri.Sync;
        if (data is null)
        {
            var reply = await client.GetAsync(ct).ConfigureAwait(false);
            var host = reply.DataIpv4Address.Length > 0 ? reply.DataIpv4Address : reply.DataIpv6Address;
            data = new IPEndPoint(IPAddress.Parse(host), (int)reply.DataMinPort);
            var syncHost = reply.SyncIpv4Address.Length > 0 ? reply.SyncIpv4Address : reply.SyncIpv6Address;
            if (sync is null && syncHost.Length > 0 && reply.SyncUdpPort > 0) sync = new IPEndPoint(IPAddress.Parse(syncHost), (int)reply.SyncUdpPort);
        }

        var self = LocalAddressTowards(data.Address);
        await client.AddSendersAsync([self.ToString()], ct).ConfigureAwait(false);
        return new SenderRoute(data, sync, self);
    }

    /// <summary>The address the kernel would send from towards <paramref name="remote"/> (a UDP connect sends nothing).</summary>
    public static IPAddress LocalAddressTowards(IPAddress remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        using var probe = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(new IPEndPoint(remote, 9));
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }
}

using System.Net;
using System.Net.Sockets;
using Streams.Transports.Ejfat.ControlPlane;

namespace Streams.Cli.Commands;

internal static partial class SendCommand
{
    /// <summary>
    /// Where to send: --dest and --sync as given, or, with --lb, the load balancer's data and sync addresses (from the
    /// URI, else asked with GetLoadBalancer), after adding this host to its senders (AddSenders): the data plane drops
    /// datagrams from senders it does not know. Returns a usage or failure exit code instead when that cannot be done.
    /// </summary>
    private static async Task<(string? Dest, string? Sync, int? Error)> Destinations(string? dest, string? sync, string? lb, int lbVersion, CancellationToken ct)
    {
        if (lb is null)
        {
            return dest is null ? (null, null, CliErrors.Usage("give --dest HOST:PORT or --lb URI")) : (dest, sync, null);
        }

        if (dest is not null) return (null, null, CliErrors.Usage("give --dest or --lb, not both"));
        if (lbVersion == 0) return (null, null, CliErrors.Usage("--lb needs an LB header (--lb-version 2 or 3)"));
        if (!EjfatUri.TryParse(lb, out var uri, out var error)) return (null, null, CliErrors.Usage($"--lb: {error}"));
        if (uri!.LbId is null) return (null, null, CliErrors.Usage("--lb: the URI names no load balancer (.../lb/ID)"));
        using var client = new LbClient(uri);
        try
        {
            IPEndPoint? data = uri.Data, syncEp = uri.Sync;
            if (data is null)
            {
                var reply = await client.GetAsync(ct).ConfigureAwait(false);
                var host = reply.DataIpv4Address.Length > 0 ? reply.DataIpv4Address : reply.DataIpv6Address;
                data = new IPEndPoint(IPAddress.Parse(host), (int)reply.DataMinPort);
                var syncHost = reply.SyncIpv4Address.Length > 0 ? reply.SyncIpv4Address : reply.SyncIpv6Address;
                if (syncEp is null && syncHost.Length > 0 && reply.SyncUdpPort > 0) syncEp = new IPEndPoint(IPAddress.Parse(syncHost), (int)reply.SyncUdpPort);
            }

            var self = LocalAddressTowards(data.Address);
            await client.AddSendersAsync([self.ToString()], ct).ConfigureAwait(false);
            Console.Error.WriteLine($"sending through load balancer {uri.LbId} at {uri.ControlHost}:{uri.ControlPort}: data {data}, sync {(syncEp?.ToString() ?? "none")}, this host ({self}) added to its senders");
            return (Format(data), sync ?? (syncEp is null ? null : Format(syncEp)), null);
        }
        catch (Grpc.Core.RpcException e)
        {
            return (null, null, CliErrors.Fail($"--lb: {LbClient.Describe(e)}"));
        }
    }

    private static string Format(IPEndPoint e) => e.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{e.Address}]:{e.Port}" : $"{e.Address}:{e.Port}";

    private static IPAddress LocalAddressTowards(IPAddress remote)
    {
        using var probe = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(new IPEndPoint(remote, 9)); // picks the route; sends nothing
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }
}

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
        try
        {
            var route = await LbSenders.JoinAsync(uri, ct).ConfigureAwait(false);
            Console.Error.WriteLine($"sending through load balancer {uri.LbId} at {uri.ControlHost}:{uri.ControlPort}: data {route.Data}, sync {(route.Sync?.ToString() ?? "none")}, this host ({route.Self}) added to its senders");
            return (Format(route.Data), sync ?? (route.Sync is null ? null : Format(route.Sync)), null);
        }
        catch (Grpc.Core.RpcException e)
        {
            return (null, null, CliErrors.Fail($"--lb: {LbClient.Describe(e)}"));
        }
    }

    private static string Format(IPEndPoint e) => e.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{e.Address}]:{e.Port}" : $"{e.Address}:{e.Port}";
}

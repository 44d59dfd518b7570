using System.Net;
using System.Net.Sockets;
using Prometheus;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;

namespace Streams.Cli;

/// <summary>
/// The Prometheus endpoint of a run (<c>http://HOST:PORT/metrics</c>). A busy port is reported and the run goes on
/// without an endpoint rather than failing.
/// </summary>
internal sealed class MetricsEndpoint : IDisposable
{
    public const string Default = "127.0.0.1:9464";

    private readonly MetricServer? _server;

    private MetricsEndpoint(MetricServer? server, string? url, string? address)
    {
        _server = server;
        Url = url;
        Address = address;
    }

    /// <summary>The scrape URL, or null when no endpoint runs.</summary>
    public string? Url { get; }

    /// <summary>HOST:PORT as a scraper reaches it (the host name for an endpoint on every interface), or null when none runs.</summary>
    public string? Address { get; }

    /// <summary>
    /// Serves <paramref name="registry"/> at <paramref name="listen"/> (HOST:PORT, port 0 = any free port); when
    /// <paramref name="anyPortIfBusy"/> (the built-in default, which the user did not choose) a port another run holds
    /// is left to it and a free one taken. Logs the URL to <paramref name="log"/>.
    /// </summary>
    public static MetricsEndpoint Start(string listen, Streams.Engine.Metrics.MetricsRegistry registry, RunLog log, bool anyPortIfBusy = false)
    {
        if (ListenAddress.IsOff(listen)) return new MetricsEndpoint(null, null, null);
        if (ListenAddress.TryParse(listen, out var address, anyPort: true) is { } error) throw new ArgumentException(error, nameof(listen));
        var (host, port) = (address.Host, address.Port);
        if (port == 0) port = FreePort(host); // any free port: a worker on a shared node, found through service discovery

        // HttpListener binds every interface for "+"; prefixes must name a host it can match.
        var prefixHost = host is "0.0.0.0" or "*" or "::" ? "+" : host;
        var hostPort = $"{(prefixHost == "+" ? Dns.GetHostName() : host)}:{port}";
        var url = $"http://{hostPort}/metrics";
        try
        {
            var server = new MetricServer(prefixHost, port, "metrics/", registry.Collectors);
            server.Start();
            log.Info("", $"metrics at {url}");
            return new MetricsEndpoint(server, url, hostPort);
        }
        catch (Exception e) when (anyPortIfBusy && address.Port != 0 && e is HttpListenerException or SocketException or InvalidOperationException)
        {
            log.Info("", $"metrics port {port} is taken (another run?); using a free port");
            return Start($"{host}:0", registry, log);
        }
        catch (Exception e) when (e is HttpListenerException or SocketException or InvalidOperationException)
        {
            log.Warn("", $"metrics endpoint {listen} unavailable ({e.Message}); running without it (use --metrics-listen HOST:PORT or 'off')");
            return new MetricsEndpoint(null, null, null);
        }
    }

    private static int FreePort(string host)
    {
        var ip = host is "0.0.0.0" or "*" or "+" ? IPAddress.Any : host == "::" ? IPAddress.IPv6Any : IPAddress.TryParse(host, out var a) ? a : IPAddress.Loopback;
        using var probe = new TcpListener(ip, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _server?.Dispose();
    }
}

using System.Net;
using System.Net.Sockets;
using Prometheus;
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

    private MetricsEndpoint(MetricServer? server, string? url)
    {
        _server = server;
        Url = url;
    }

    /// <summary>The scrape URL, or null when no endpoint runs.</summary>
    public string? Url { get; }

    public static MetricsEndpoint Start(string listen, CollectorRegistry registry, RunLog log)
    {
        if (ListenAddress.IsOff(listen)) return new MetricsEndpoint(null, null);
        if (ListenAddress.TryParse(listen, out var address) is { } error) throw new ArgumentException(error, nameof(listen));
        var (host, port) = (address.Host, address.Port);

        // HttpListener binds every interface for "+"; prefixes must name a host it can match.
        var prefixHost = host is "0.0.0.0" or "*" or "::" ? "+" : host;
        var url = $"http://{(prefixHost == "+" ? Dns.GetHostName() : host)}:{port}/metrics";
        try
        {
            var server = new MetricServer(prefixHost, port, "metrics/", registry);
            server.Start();
            log.Info("", $"metrics at {url}");
            return new MetricsEndpoint(server, url);
        }
        catch (Exception e) when (e is HttpListenerException or SocketException or InvalidOperationException)
        {
            log.Warn("", $"metrics endpoint {listen} unavailable ({e.Message}); running without it (use --metrics-listen HOST:PORT or 'off')");
            return new MetricsEndpoint(null, null);
        }
    }

    public void Dispose()
    {
        _server?.Dispose();
    }
}

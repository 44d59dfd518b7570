using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Prometheus;
using Streams.Engine.Runtime;

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

    /// <summary>Parses HOST:PORT (or <c>off</c>); returns an error message or null.</summary>
    public static string? TryParse(string value, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1) return $"'{value}' is not HOST:PORT (for example 127.0.0.1:9464, 0.0.0.0:9464, or 'off')";
        host = value[..colon].Trim('[', ']');
        if (!int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return $"'{value}': port must be a number from 1 to 65535";
        }

        return null;
    }

    public static MetricsEndpoint Start(string listen, CollectorRegistry registry, RunLog log)
    {
        if (string.Equals(listen, "off", StringComparison.OrdinalIgnoreCase)) return new MetricsEndpoint(null, null);
        var error = TryParse(listen, out var host, out var port);
        if (error is not null) throw new ArgumentException(error, nameof(listen));

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

using System.Net;
using System.Net.Sockets;
using Prometheus;
using Streams.Cli.Live;
using Streams.Engine.Operators;
using Streams.Engine.Metrics;
using Streams.Engine.Spec;

namespace Streams.Cli;

/// <summary>
/// The metrics endpoint of a run, one HTTP listener on one port: the Prometheus exposition at
/// <c>http://HOST:PORT/metrics</c> and, for a run that gives an <see cref="ILiveSource"/>, the live web view at
/// <c>/</c> with its JSON at <c>/api/snapshot</c>. Read-only: GET and HEAD, anything else 405. A busy port is reported
/// and the run goes on without an endpoint rather than failing.
/// </summary>
internal sealed class MetricsEndpoint : IDisposable
{
    public const string Default = "127.0.0.1:9464";

    /// <summary>What prometheus-net's own MetricServer answers a scrape with (the classic text format).</summary>
    private const string ExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly HttpListener? _listener;
    private readonly MetricsRegistry? _registry;
    private readonly ILiveSource? _live;
    private readonly Task _serving = Task.CompletedTask;

    private MetricsEndpoint(HttpListener? listener, MetricsRegistry? registry, ILiveSource? live, string? address)
    {
        _listener = listener;
        _registry = registry;
        _live = live;
        Address = address;
        Url = address is null ? null : $"http://{address}/metrics";
        ViewUrl = address is null || live is null ? null : $"http://{address}/";
        if (listener is not null) _serving = Task.Run(ServeAsync);
    }

    /// <summary>The scrape URL, or null when no endpoint runs.</summary>
    public string? Url { get; }

    /// <summary>The live web view's URL, or null when no endpoint runs or the run has no view.</summary>
    public string? ViewUrl { get; }

    /// <summary>HOST:PORT as a scraper reaches it (the host name for an endpoint on every interface), or null when none runs.</summary>
    public string? Address { get; }

    /// <summary>
    /// Serves <paramref name="registry"/> at <paramref name="listen"/> (HOST:PORT, port 0 = any free port), and the live
    /// view of <paramref name="live"/> when given; when <paramref name="anyPortIfBusy"/> (the built-in default, which
    /// the user did not choose) a port another run holds is left to it and a free one taken. Logs the URL to <paramref name="log"/>.
    /// </summary>
    public static MetricsEndpoint Start(string listen, MetricsRegistry registry, RunLog log, bool anyPortIfBusy = false, ILiveSource? live = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(log);
        if (ListenAddress.IsOff(listen)) return new MetricsEndpoint(null, null, null, null);
        if (ListenAddress.TryParse(listen, out var address, anyPort: true) is { } error) throw new ArgumentException(error, nameof(listen));
        var (host, port) = (address.Host, address.Port);
        if (port == 0) port = FreePort(host); // any free port: a worker on a shared node, found through service discovery

        // HttpListener binds every interface for "+"; prefixes must name a host it can match.
        var prefixHost = host is "0.0.0.0" or "*" or "::" ? "+" : host;
        var hostPort = $"{(prefixHost == "+" ? Dns.GetHostName() : host)}:{port}";
        var listener = new HttpListener();
        try
        {
            listener.Prefixes.Add($"http://{prefixHost}:{port}/");
            listener.Start();
            var endpoint = new MetricsEndpoint(listener, registry, live, hostPort);
            log.Info("", endpoint.ViewUrl is { } view ? $"metrics at {endpoint.Url}; live view at {view}" : $"metrics at {endpoint.Url}");
            return endpoint;
        }
        catch (Exception e) when (anyPortIfBusy && address.Port != 0 && e is HttpListenerException or SocketException or InvalidOperationException)
        {
            listener.Close();
            log.Info("", $"metrics port {port} is taken (another run?); using a free port");
            return Start($"{host}:0", registry, log, live: live);
        }
        catch (Exception e) when (e is HttpListenerException or SocketException or InvalidOperationException)
        {
            listener.Close();
            log.Warn("", $"metrics endpoint {listen} unavailable ({e.Message}); running without it (use --metrics-listen HOST:PORT or 'off')");
            return new MetricsEndpoint(null, null, null, null);
        }
    }

    private async Task ServeAsync()
    {
        while (_listener!.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var path = context.Request.Url?.AbsolutePath ?? "/";
            var method = context.Request.HttpMethod;
            if (method is not ("GET" or "HEAD"))
            {
                response.StatusCode = (int)HttpStatusCode.MethodNotAllowed;
                response.Headers["Allow"] = "GET, HEAD";
                return;
            }

            if (path == "/metrics" || path.StartsWith("/metrics/", StringComparison.Ordinal)) // as MetricServer's "metrics/" prefix served
            {
                await ScrapeAsync(response, method == "HEAD").ConfigureAwait(false);
            }
            else if (_live is not null && LiveView.Serves(path))
            {
                await LiveView.ServeAsync(path, _live, _registry!, response, method == "HEAD").ConfigureAwait(false);
            }
            else
            {
                response.StatusCode = (int)HttpStatusCode.NotFound;
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away, or the endpoint is closing.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            try
            {
                response.StatusCode = (int)HttpStatusCode.InternalServerError;
            }
            catch (InvalidOperationException)
            {
                // Headers already sent: the client sees a cut-off body.
            }
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Closed under us by Dispose.
            }
        }
    }

    /// <summary>A Prometheus scrape, answered as prometheus-net's MetricServer answers it.</summary>
    private async Task ScrapeAsync(HttpListenerResponse response, bool headOnly)
    {
        response.ContentType = ExpositionContentType;
        response.StatusCode = (int)HttpStatusCode.OK;
        if (headOnly) return;
        try
        {
            await _registry!.Collectors.CollectAndExportAsTextAsync(response.OutputStream).ConfigureAwait(false);
        }
        catch (ScrapeFailedException e)
        {
            // Thrown before anything is written, so the status can still change.
            response.StatusCode = (int)HttpStatusCode.ServiceUnavailable;
            if (!string.IsNullOrWhiteSpace(e.Message))
            {
                await using var writer = new StreamWriter(response.OutputStream);
                await writer.WriteAsync(e.Message).ConfigureAwait(false);
            }
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
        if (_listener is null) return;
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }

        Task.WhenAny(_serving, Task.Delay(TimeSpan.FromSeconds(2))).Wait();
    }
}

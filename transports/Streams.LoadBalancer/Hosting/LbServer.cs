using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Streams.LoadBalancer.Instances;
using Streams.LoadBalancer.Service;

namespace Streams.LoadBalancer.Hosting;

/// <summary>How `streams lb` serves: the control address (gRPC over HTTP/2; TLS with a certificate), metrics, the control loop.</summary>
internal sealed record LbServerOptions
{
    public required IPEndPoint Control { get; init; }

    /// <summary>A PEM certificate and key for TLS (ejfats://); null: plain HTTP/2 (ejfat://).</summary>
    public (string CertificatePem, string KeyPem)? Tls { get; init; }

    /// <summary>Where Prometheus scrapes <c>/metrics</c> (HTTP/1.1); null: no endpoint.</summary>
    public IPEndPoint? Metrics { get; init; }

    /// <summary>How often the control loop deals slots (udplbd: once a second).</summary>
    public TimeSpan ControlInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// A running software load balancer: the gRPC control plane on Kestrel, the Sync listener, the once-a-second control
/// loop over every instance, and their data planes (in the registry). Dispose stops all of it.
/// </summary>
internal sealed class LbServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly SyncListener? _sync;

    private LbServer(WebApplication app, LbRegistry registry, SyncListener? sync, LbMetrics metrics, TimeSpan interval)
    {
        _app = app;
        Registry = registry;
        _sync = sync;
        Metrics = metrics;
        _loop = RunLoopAsync(interval, _stop.Token);
    }

    public LbRegistry Registry { get; }

    public LbMetrics Metrics { get; }

    /// <summary>The control address actually bound (port 0 resolved).</summary>
    public IPEndPoint Control { get; private set; } = null!;

    /// <summary>The metrics address actually bound, when there is one.</summary>
    public IPEndPoint? MetricsAddress { get; private set; }

    /// <summary>The Sync address actually bound, when there is one.</summary>
    public IPEndPoint? SyncAddress => _sync?.LocalEndPoint;

    public bool Tls { get; private init; }

    /// <summary>Starts serving; a control, data or sync address another program holds fails here with a one-line IOException.</summary>
    public static async Task<LbServer> StartAsync(LbServerOptions options, LbOptions lb, DataPlaneFactory dataPlanes)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(lb);
        SyncListener? sync = null;
        LbRegistry? registry = null;
        try
        {
            sync = lb.Sync is null ? null : new SyncListener(lb.Sync);
            if (sync is not null) lb = lb with { Sync = sync.LocalEndPoint };
            registry = new LbRegistry(lb, dataPlanes);
            var metrics = new LbMetrics(registry);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddGrpc(o => o.EnableDetailedErrors = true);
            builder.Services.AddSingleton(registry);
            X509Certificate2? certificate = options.Tls is { } pem ? X509Certificate2.CreateFromPemFile(pem.CertificatePem, pem.KeyPem) : null;
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Listen(options.Control, l =>
                {
                    l.Protocols = HttpProtocols.Http2; // gRPC; plain HTTP/2 (h2c) unless TLS
                    if (certificate is not null) l.UseHttps(certificate);
                });
                if (options.Metrics is { } m) k.Listen(m, l => l.Protocols = HttpProtocols.Http1);
            });
            var app = builder.Build();
            app.MapGrpcService<LoadBalancerService>();
            app.MapGet("/metrics", async (HttpContext http) =>
            {
                http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await metrics.ExportAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
            });
            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (IOException e)
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw new IOException($"cannot serve the control plane on {options.Control}{(options.Metrics is { } mm ? $" / metrics on {mm}" : "")}: {e.Message} (another run or program holds it?)", e);
            }

            var server = new LbServer(app, registry, sync, metrics, options.ControlInterval) { Tls = certificate is not null };
            sync?.Start(registry);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
                .Select(a => new Uri(a)).ToList();
            server.Control = new IPEndPoint(options.Control.Address, bound[0].Port);
            if (options.Metrics is { } mx && bound.Count > 1) server.MetricsAddress = new IPEndPoint(mx.Address, bound[1].Port);
            return server;
        }
        catch
        {
            sync?.Dispose();
            registry?.Dispose();
            throw;
        }
    }

    private async Task RunLoopAsync(TimeSpan interval, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval, Registry.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false)) Registry.Step();
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2))) await _app.StopAsync(grace.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _sync?.Dispose();
        Registry.Dispose();
        _stop.Dispose();
    }
}

using Prometheus;

namespace Streams.Engine.Metrics;

/// <summary>
/// Where a run's metrics go: one registry per process (the CLI's, scraped at /metrics) or a private one (tests, several
/// pipelines in one process). Public signatures take this type, so that the operator contract and the engine's API do
/// not depend on prometheus-net; the Streams projects that export metrics reach the collectors through
/// <see cref="Collectors"/> (internal, visible to them).
/// </summary>
public sealed class MetricsRegistry
{
    private MetricsRegistry(CollectorRegistry collectors) => Collectors = collectors;

    /// <summary>The process-wide registry (what the CLI's metrics endpoint serves).</summary>
    public static MetricsRegistry Process { get; } = new(Prometheus.Metrics.DefaultRegistry);

    /// <summary>A registry of its own, scraped by nobody unless served.</summary>
    public static MetricsRegistry CreatePrivate() => new(Prometheus.Metrics.NewCustomRegistry());

    internal CollectorRegistry Collectors { get; }

    /// <summary>A factory for collectors in this registry.</summary>
    internal IMetricFactory Factory => Prometheus.Metrics.WithCustomRegistry(Collectors);

    /// <summary>The registry's metrics in Prometheus' text exposition format.</summary>
    public async Task<string> ExportTextAsync(CancellationToken cancel = default)
    {
        using var ms = new MemoryStream();
        await Collectors.CollectAndExportAsTextAsync(ms, cancel).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}

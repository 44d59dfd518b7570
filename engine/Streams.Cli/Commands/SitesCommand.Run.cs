using Streams.Cli.Live;

namespace Streams.Cli.Commands;

internal static partial class SitesCommand
{
    /// <summary>
    /// The sites of the run whose metrics endpoint is <paramref name="endpoint"/> (HOST:PORT): its <c>streams_site_*</c>
    /// samples, one entry per (pipeline, site). Null and a one-line reason when the endpoint cannot be read or exports
    /// no sites.
    /// </summary>
    internal static async Task<(IReadOnlyList<SiteStatus>? Sites, string? Error)> FromRunAsync(string endpoint, TimeSpan timeout, CancellationToken cancel)
    {
        var url = new Uri($"http://{endpoint}/metrics");
        string text;
        using var http = new HttpClient { Timeout = timeout };
        try
        {
            text = await http.GetStringAsync(url, cancel).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            return (null, $"cannot read {url}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            return (null, $"cannot read {url}: no answer within {timeout.TotalSeconds:0.#} s");
        }

        var sites = FromMetrics(text);
        return sites.Count > 0 ? (sites, null) : (null, $"{url} exports no streams_site_* metrics: is the run's node provider several sites (control.sites: FILE), and has its controller listed them yet?");
    }

    /// <summary>The sites in a Prometheus text exposition (the <c>streams_site_*</c> families of <see cref="Control.Sites.SiteMetrics"/>).</summary>
    internal static IReadOnlyList<SiteStatus> FromMetrics(string exposition)
    {
        var samples = MetricsText.Parse(exposition, "streams_site_");
        var result = new List<SiteStatus>();
        foreach (var site in samples.Where(s => s.Name == "streams_site_info").GroupBy(s => (Pipeline: s.Label("pipeline"), Site: s.Label("site"))))
        {
            var mine = samples.Where(s => s.Label("pipeline") == site.Key.Pipeline && s.Label("site") == site.Key.Site).ToList();
            double? Value(string name, string? key = null, string? label = null) =>
                mine.FirstOrDefault(s => s.Name == name && (key is null || s.Label(key) == label)) is { } hit ? hit.Value : null;
            int? Count(string name, string? key = null, string? label = null) => Value(name, key, label) is { } v ? (int)Math.Round(v) : null;
            double? Limit(double? v) => v is { } x && x >= 0 ? Math.Round(x, 3) : null; // -1: none
            result.Add(new SiteStatus(site.Key.Site, site.First().Label("provider"))
            {
                Pipeline = site.Key.Pipeline,
                Health = Count("streams_site_health") switch { 0 => "up", 1 => "slow", 2 => "down", _ => null },
                Booting = Count("streams_site_nodes", "state", "booting"),
                Ready = Count("streams_site_nodes", "state", "ready"),
                Draining = Count("streams_site_nodes", "state", "draining"),
                QuotaNodes = Limit(Value("streams_site_quota_nodes")) is { } q ? (int)q : null,
                JoinP50Seconds = Math.Round(Value("streams_site_join_seconds", "quantile", "0.5") ?? 0, 1),
                JoinP90Seconds = Math.Round(Value("streams_site_join_seconds", "quantile", "0.9") ?? 0, 1),
                JoinMeasured = Count("streams_site_joins_measured") > 0,
                BandwidthUsedGbps = Value("streams_site_bandwidth_gbps", "kind", "used"),
                BandwidthShareGbps = Limit(Value("streams_site_bandwidth_gbps", "kind", "share")),
                BudgetLeftNodeHours = Limit(Value("streams_site_budget_left_node_hours")),
                NodeHours = Value("streams_site_node_hours") is { } h ? Math.Round(h, 3) : null,
                Requested = Count("streams_site_nodes_total", "outcome", "requested"),
                Joined = Count("streams_site_nodes_total", "outcome", "joined"),
                Failed = Count("streams_site_nodes_total", "outcome", "failed"),
                TimesDown = Count("streams_site_down_total"),
            });
        }

        return result;
    }
}

using System.Globalization;
using Streams.Control.Live;
using Streams.Jrm;
using Streams.Transports.Ejfat.ControlPlane;
using Streams.Transports.ZeroMq.Coordination;

namespace Streams.Cli.Elastic;

/// <summary>
/// Reads the pool of node pipelines behind a load balancer for a control process: the load balancer's Status (each
/// member's slots, fill, last report and the counters it reports) and each node's own metrics (events in the node and
/// done), scraped from the endpoint the node announced in its working directory
/// (<see cref="NodePipelineCommandLine.MetricsFile"/>). The same endpoints go to the Prometheus file service discovery
/// (role <c>node</c>), so one Prometheus scrapes the control process and every node.
/// </summary>
internal sealed class LbPoolReader : IDisposable
{
    /// <summary>A member whose last report is older than this is not ready (udplbd's 2 s).</summary>
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(2);

    private readonly LbClient _client;
    private readonly string _nodesDirectory;
    private readonly ScrapeTargets? _targets;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(1) };
    private volatile PoolReading? _latest;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _served = new(StringComparer.Ordinal);

    /// <param name="client">The load balancer (its instance token reads Status).</param>
    /// <param name="nodesDirectory">Where node ID runs (ID/metrics-address).</param>
    /// <param name="targets">The Prometheus file service discovery, or null.</param>
    /// <param name="time">The clock of the readings.</param>
    public LbPoolReader(LbClient client, string nodesDirectory, ScrapeTargets? targets, TimeProvider? time = null)
    {
        _client = client;
        _nodesDirectory = nodesDirectory;
        _targets = targets;
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
    }

    /// <summary>The last reading; null before the first.</summary>
    public PoolReading? Latest => _latest;

    /// <summary>
    /// True when the node named <paramref name="name"/> serves (how a node provider learns it joined): the load balancer
    /// lists it, reporting, and it has had slots (a busy member whose weight fell to no slots for a while still serves).
    /// </summary>
    public bool Serves(string name) => _latest?.Member(name) is { Ready: true } && _served.ContainsKey(name);

    /// <summary>Reads the pool now (Status, then every member's metrics at once); throws what the load balancer's call throws.</summary>
    public async Task<PoolReading> ReadAsync(CancellationToken cancel)
    {
        var status = await _client.StatusAsync(cancel).ConfigureAwait(false);
        var now = status.Timestamp?.ToDateTimeOffset() ?? _time.GetUtcNow();
        var members = await Task.WhenAll(status.Workers.Select(async w =>
        {
            var (inFlight, processed) = await ScrapeAsync(w.Name, cancel).ConfigureAwait(false);
            var ready = w.LastUpdated is { } at && now - at.ToDateTimeOffset() <= Stale;
            return new MemberReading(w.Name, ready, (int)w.SlotsAssigned, w.FillPercent, w.TotalEventsRecv, w.TotalEventsDequeued, inFlight, processed);
        })).ConfigureAwait(false);
        foreach (var m in members.Where(m => m.Slots > 0)) _served.TryAdd(m.Name, true);
        var reading = new PoolReading(_time.GetElapsedTime(_start).TotalSeconds, members);
        _latest = reading;
        return reading;
    }

    /// <summary>
    /// Lists for Prometheus every node of <paramref name="alive"/> that announced its endpoint, and drops the rest
    /// (called each tick with the provider's nodes that are not gone).
    /// </summary>
    public void UpdateTargets(IEnumerable<string> alive)
    {
        if (_targets is null) return;
        var keep = alive.ToHashSet(StringComparer.Ordinal);
        foreach (var name in keep) _targets.SetWorker(name, MetricsAddress(name), role: "node");
        foreach (var gone in _targets.Names.Where(n => !keep.Contains(n))) _targets.RemoveWorker(gone);
    }

    /// <summary>The node's announced HOST:PORT, or null before it announced one (or after it ended: it removes the file).</summary>
    public string? MetricsAddress(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains("..", StringComparison.Ordinal)) return null; // a member name is not a path
        var file = Path.Combine(_nodesDirectory, name, NodePipelineCommandLine.MetricsFile);
        try
        {
            var text = File.Exists(file) ? File.ReadAllText(file).Trim() : "";
            return text.Length is > 0 and <= 255 && !text.Any(char.IsWhiteSpace) ? text : null;
        }
        catch (IOException)
        {
            return null; // being replaced
        }
    }

    /// <summary>The node's events in flight and done, from its metrics; nulls when it announced none or does not answer.</summary>
    private async Task<(long? InFlight, long? Processed)> ScrapeAsync(string name, CancellationToken cancel)
    {
        if (MetricsAddress(name) is not { } address) return (null, null);
        try
        {
            var text = await _http.GetStringAsync(new Uri($"http://{address}/metrics"), cancel).ConfigureAwait(false);
            return (Sum(text, "streams_events_in_flight"), Sum(text, "streams_events_processed_total"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// The sum of every sample of metric <paramref name="metric"/> in a Prometheus text exposition; null when it has
    /// none. Written here because the two numbers a control process needs do not warrant a parser library: lines are
    /// <c>NAME{LABELS} VALUE [TIMESTAMP]</c> or <c>NAME VALUE</c>; comments start with '#'.
    /// </summary>
    internal static long? Sum(string exposition, string metric)
    {
        double? sum = null;
        foreach (var raw in exposition.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.IsEmpty || line[0] == '#' || !line.StartsWith(metric, StringComparison.Ordinal)) continue;
            var rest = line[metric.Length..];
            if (rest.IsEmpty || (rest[0] != '{' && rest[0] != ' ')) continue; // another metric with this prefix
            if (rest[0] == '{')
            {
                var close = rest.IndexOf('}');
                if (close < 0) continue;
                rest = rest[(close + 1)..];
            }

            rest = rest.TrimStart();
            var space = rest.IndexOf(' ');
            if (space >= 0) rest = rest[..space];
            if (double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) sum = (sum ?? 0) + v;
        }

        return sum is { } s ? (long)Math.Round(s) : null;
    }

    public void Dispose() => _http.Dispose();
}

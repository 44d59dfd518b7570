using Prometheus;
using Streams.Control.Nodes;
using Streams.Engine.Metrics;

namespace Streams.Control.Sites;

/// <summary>
/// The sites as <c>streams_site_*</c> metrics: the site's provider (<c>streams_site_info</c>), nodes by state
/// (booting: asked for, not joined; ready and draining as listed), the quota in nodes, p50/p90 time to join and how many
/// joins were measured (0: the prior), health (0 up, 1 slow, 2 down) and times down, node-hours used, budget left,
/// bandwidth (used: running nodes x ingest; share: the site's link), nodes by outcome and requests by outcome. What
/// <c>streams sites status --from</c> reads.
/// </summary>
public sealed class SiteMetrics
{
    private readonly string _pipeline;
    private readonly Gauge _info, _nodes, _quota, _join, _measured, _health, _hours, _budget, _bandwidth;
    private readonly Counter _requests, _outcomes, _down;

    public SiteMetrics(MetricsRegistry registry, string pipeline)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _pipeline = pipeline;
        var f = registry.Factory;
        _info = f.CreateGauge("streams_site_info", "A site of the pool (1), with its node provider.", ["pipeline", "site", "provider"]);
        _nodes = f.CreateGauge("streams_site_nodes", "Nodes of a site by state (booting: asked for, not joined; ready; draining).", ["pipeline", "site", "state"]);
        _quota = f.CreateGauge("streams_site_quota_nodes", "Most nodes a site may run at once (quota in nodes and cores, bandwidth share).", ["pipeline", "site"]);
        _join = f.CreateGauge("streams_site_join_seconds", "A site's learned request-to-join time, by quantile (0.5, 0.9); the prior until joins are measured.", ["pipeline", "site", "quantile"]);
        _measured = f.CreateGauge("streams_site_joins_measured", "Joins measured at a site (0: its join times are still the prior).", ["pipeline", "site"]);
        _health = f.CreateGauge("streams_site_health", "A site's health: 0 up, 1 slow, 2 down.", ["pipeline", "site"]);
        _down = f.CreateCounter("streams_site_down_total", "Times a site went down.", ["pipeline", "site"]);
        _hours = f.CreateGauge("streams_site_node_hours", "Node-hours a site's nodes have run (join to end).", ["pipeline", "site"]);
        _budget = f.CreateGauge("streams_site_budget_left_node_hours", "Node-hours left of a site's allocation (-1: no budget).", ["pipeline", "site"]);
        _bandwidth = f.CreateGauge("streams_site_bandwidth_gbps", "A site's bandwidth, Gbit/s (used: running nodes x ingest per node; share: its share of the link, -1 when none).", ["pipeline", "site", "kind"]);
        _outcomes = f.CreateCounter("streams_site_nodes_total", "Nodes of a site by outcome (requested, joined, failed, released).", ["pipeline", "site", "outcome"]);
        _requests = f.CreateCounter("streams_site_requests_total", "Node requests sent to a site, by outcome (placed, failed).", ["pipeline", "site", "outcome"]);
    }

    /// <summary>Exports the state of every site; <paramref name="listed"/> (ids SITE/ID, as the pool is reported) splits ready from draining.</summary>
    public void Update(IEnumerable<SiteBook> sites, IReadOnlyList<NodeInfo>? listed = null)
    {
        ArgumentNullException.ThrowIfNull(sites);
        foreach (var s in sites)
        {
            var prefix = s.Name + "/";
            var mine = listed?.Where(n => n.Id.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            var draining = mine?.Count(n => n.State == NodeState.Draining) ?? 0;
            _info.WithLabels(_pipeline, s.Name, s.Spec.Provider.ToString().ToLowerInvariant()).Set(1);
            _nodes.WithLabels(_pipeline, s.Name, "booting").Set(s.Pending);
            _nodes.WithLabels(_pipeline, s.Name, "ready").Set(Math.Max(0, s.Running - draining));
            _nodes.WithLabels(_pipeline, s.Name, "draining").Set(Math.Min(draining, s.Running));
            _quota.WithLabels(_pipeline, s.Name).Set(s.Spec.MaxNodes == int.MaxValue ? -1 : s.Spec.MaxNodes);
            _join.WithLabels(_pipeline, s.Name, "0.5").Set(s.Joins.P50);
            _join.WithLabels(_pipeline, s.Name, "0.9").Set(s.Joins.P90);
            _measured.WithLabels(_pipeline, s.Name).Set(s.Joins.Total);
            _health.WithLabels(_pipeline, s.Name).Set((int)s.Health.State);
            _down.WithLabels(_pipeline, s.Name).IncTo(s.Health.TimesDown);
            _hours.WithLabels(_pipeline, s.Name).Set(s.NodeHours);
            _budget.WithLabels(_pipeline, s.Name).Set(double.IsPositiveInfinity(s.BudgetLeft) ? -1 : s.BudgetLeft);
            _bandwidth.WithLabels(_pipeline, s.Name, "used").Set(s.Running * s.Spec.IngestGbpsPerNode);
            _bandwidth.WithLabels(_pipeline, s.Name, "share").Set(s.Spec.LinkGbps ?? -1);
            _outcomes.WithLabels(_pipeline, s.Name, "requested").IncTo(s.Requested);
            _outcomes.WithLabels(_pipeline, s.Name, "joined").IncTo(s.Joined);
            _outcomes.WithLabels(_pipeline, s.Name, "failed").IncTo(s.Failed);
            _outcomes.WithLabels(_pipeline, s.Name, "released").IncTo(s.Released);
        }
    }

    /// <summary>Counts one request at <paramref name="site"/>.</summary>
    public void Request(string site, bool placed) => _requests.WithLabels(_pipeline, site, placed ? "placed" : "failed").Inc();
}

using Prometheus;
using Streams.Engine.Metrics;

namespace Streams.Control.Sites;

/// <summary>
/// The sites as <c>streams_site_*</c> metrics: nodes by state (pending, running), p50/p90 time to join, health
/// (0 up, 1 slow, 2 down), node-hours used, budget left, and requests by outcome (placed, failed).
/// </summary>
public sealed class SiteMetrics
{
    private readonly string _pipeline;
    private readonly Gauge _nodes, _join, _health, _hours, _budget;
    private readonly Counter _requests;

    public SiteMetrics(MetricsRegistry registry, string pipeline)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _pipeline = pipeline;
        var f = registry.Factory;
        _nodes = f.CreateGauge("streams_site_nodes", "Nodes of a site by state (pending: asked for, not joined; running: joined, not ended).", ["pipeline", "site", "state"]);
        _join = f.CreateGauge("streams_site_join_seconds", "A site's learned request-to-join time, by quantile (0.5, 0.9); the prior until joins are measured.", ["pipeline", "site", "quantile"]);
        _health = f.CreateGauge("streams_site_health", "A site's health: 0 up, 1 slow, 2 down.", ["pipeline", "site"]);
        _hours = f.CreateGauge("streams_site_node_hours", "Node-hours a site's nodes have run (join to end).", ["pipeline", "site"]);
        _budget = f.CreateGauge("streams_site_budget_left_node_hours", "Node-hours left of a site's allocation (-1: no budget).", ["pipeline", "site"]);
        _requests = f.CreateCounter("streams_site_requests_total", "Node requests sent to a site, by outcome (placed, failed).", ["pipeline", "site", "outcome"]);
    }

    /// <summary>Exports the state of every site.</summary>
    public void Update(IEnumerable<SiteBook> sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        foreach (var s in sites)
        {
            _nodes.WithLabels(_pipeline, s.Name, "pending").Set(s.Pending);
            _nodes.WithLabels(_pipeline, s.Name, "running").Set(s.Running);
            _join.WithLabels(_pipeline, s.Name, "0.5").Set(s.Joins.P50);
            _join.WithLabels(_pipeline, s.Name, "0.9").Set(s.Joins.P90);
            _health.WithLabels(_pipeline, s.Name).Set((int)s.Health.State);
            _hours.WithLabels(_pipeline, s.Name).Set(s.NodeHours);
            _budget.WithLabels(_pipeline, s.Name).Set(double.IsPositiveInfinity(s.BudgetLeft) ? -1 : s.BudgetLeft);
        }
    }

    /// <summary>Counts one request at <paramref name="site"/>.</summary>
    public void Request(string site, bool placed) => _requests.WithLabels(_pipeline, site, placed ? "placed" : "failed").Inc();
}

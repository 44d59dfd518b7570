using System.Globalization;
using Streams.Control.Nodes;

namespace Streams.Control.Sites;

/// <summary>Weights of <see cref="SiteMatcher"/>'s figure of merit.</summary>
public sealed record MatcherSettings
{
    /// <summary>Cost units per minute a node is predicted to serve after the deadline.</summary>
    public double LatenessPerMinute { get; init; } = 1;

    /// <summary>How much longer a slow site's joins are expected to take.</summary>
    public double SlowFactor { get; init; } = 2;

    /// <summary>A site whose p90 join comes later than this after the deadline is left out: its node would come too late to help, and would be counted as on its way meanwhile.</summary>
    public double MaxLatenessSeconds { get; init; } = 300;

    /// <summary>When no site in time is open, late sites are asked only if the sites in time that are up hold fewer than this many nodes at most (more would be the law overshooting to drain a backlog, and a late node would count as on its way meanwhile).</summary>
    public int InTimeNodesEnough { get; init; } = 4;
}

/// <summary>
/// The matching service: places nodes at sites by a figure of merit (lower is better),
/// <c>merit = cost + lateness-per-minute x max(0, eta - deadline) / 60</c>, where <c>eta</c> is the site's p90
/// request-to-join time (x slow-factor when slow, / (1 - share of bad nodes)) and the deadline is when the queue would
/// overflow: when there is time, the cheapest site that makes it wins; when there is none, the fastest; a site whose node would come more than <see cref="MatcherSettings.MaxLatenessSeconds"/> after the deadline is left out. Hard caps leave
/// a site out: down, quota (nodes, cores), pending requests, nodes x ingest over its bandwidth share, budget spent.
/// Releases go the other way: booting before running, costliest and least healthy first.
/// </summary>
public sealed class SiteMatcher(MatcherSettings? settings = null) : ISitePolicy
{
    public MatcherSettings Settings { get; } = settings ?? new MatcherSettings();

    public string Name => "streams";

    public bool MigratesBeforeWalltime => true;

    /// <summary>Why <paramref name="site"/> cannot take <paramref name="extra"/> + 1 more nodes now; null when it can.</summary>
    public static string? Cap(SiteBook site, int extra = 0)
    {
        ArgumentNullException.ThrowIfNull(site);
        var s = site.Spec;
        var live = site.Live + extra;
        if (site.Health.State == SiteHealthState.Down) return $"down ({site.Health.LastError ?? "its nodes fail"})";
        if (live + 1 > s.QuotaNodes) return $"quota full ({live}/{s.QuotaNodes} nodes)";
        if (s.QuotaCores is { } qc && (live + 1) * s.CoresPerNode > qc) return $"core quota full ({live * s.CoresPerNode}+{s.CoresPerNode} > {qc} cores)";
        if (site.Pending + extra + 1 > s.MaxPending) return $"{site.Pending + extra} requests pending (at most {s.MaxPending})";
        if (live + 1 > s.BandwidthNodes) return string.Create(CultureInfo.InvariantCulture, $"bandwidth: {live + 1} x {s.IngestGbpsPerNode:0.##} Gbit/s > {s.LinkGbps:0.##} Gbit/s");
        if (site.BudgetLeft <= 0) return string.Create(CultureInfo.InvariantCulture, $"budget spent ({site.NodeHours:0.#}/{s.BudgetNodeHours:0.#} node-hours)");
        return null;
    }

    /// <summary>Predicted seconds from request to serving at <paramref name="site"/> (p90, slowed when slow, stretched by bad nodes).</summary>
    public double Eta(SiteBook site)
    {
        ArgumentNullException.ThrowIfNull(site);
        var slow = site.Health.State == SiteHealthState.Slow ? Settings.SlowFactor : 1;
        return site.Joins.P90 * slow / Math.Max(0.2, 1 - site.BadFraction);
    }

    /// <summary>The figure of merit of one more node at <paramref name="site"/> (lower is better).</summary>
    public double Merit(SiteBook site, double deadlineSeconds)
    {
        ArgumentNullException.ThrowIfNull(site);
        var late = Math.Max(0, Eta(site) - Math.Max(0, deadlineSeconds));
        return site.Spec.CostWeight + (Settings.LatenessPerMinute * late / 60);
    }

    public SiteRanking Rank(IReadOnlyList<SiteBook> sites, PlacementContext context) => Rank(sites, context, null);

    /// <summary>The eta (<see cref="Eta"/>) of the site the next node would go to.</summary>
    public double PredictedTimeToCapacity(IReadOnlyList<SiteBook> sites, PlacementContext context) => Rank(sites, context).Best is { } best ? Eta(best) : double.PositiveInfinity;

    /// <summary>As <see cref="Rank(IReadOnlyList{SiteBook}, PlacementContext)"/> with <paramref name="extra"/> nodes per site already placed in this round.</summary>
    public SiteRanking Rank(IReadOnlyList<SiteBook> sites, PlacementContext context, IReadOnlyDictionary<string, int>? extra)
    {
        ArgumentNullException.ThrowIfNull(sites);
        var excluded = new List<(SiteBook, string)>();
        var ok = new List<(SiteBook Site, double Merit)>();
        var late = new List<(SiteBook Site, double Merit)>();
        foreach (var site in sites)
        {
            if (Cap(site, extra?.GetValueOrDefault(site.Name) ?? 0) is { } why) excluded.Add((site, why));
            else (Eta(site) - Math.Max(0, context.DeadlineSeconds) > Settings.MaxLatenessSeconds ? late : ok).Add((site, Merit(site, context.DeadlineSeconds)));
        }

        // Too late to help with this deadline: only when no site in time is open (down, full), and then still the best there is.
        if (ok.Count == 0 && late.Count > 0 && !InTimeSitesHoldEnough(sites, context)) ok = late;
        else excluded.AddRange(late.Select(x => (x.Site, string.Create(CultureInfo.InvariantCulture, $"too late (p90 join {Eta(x.Site):0} s, deadline {context.DeadlineSeconds:0} s)"))));

        var ranked = ok.OrderBy(x => x.Merit).ThenBy(x => Eta(x.Site)).ToList();
        var inv = CultureInfo.InvariantCulture;
        var deadline = double.IsPositiveInfinity(context.DeadlineSeconds) ? "none (queue not growing)" : string.Create(inv, $"{context.DeadlineSeconds:0} s");
        var reason = ranked.Count == 0
            ? $"no site can take a node: {string.Join("; ", excluded.Select(e => $"{e.Item1.Name} {e.Item2}"))}"
            : string.Create(inv, $"{ranked[0].Site.Name}: merit {ranked[0].Merit:0.##} (cost {ranked[0].Site.Spec.CostWeight:0.##}, p90 join {Eta(ranked[0].Site):0} s, deadline {deadline})")
              + (ranked.Count > 1 ? string.Create(inv, $"; next {ranked[1].Site.Name} {ranked[1].Merit:0.##}") : "")
              + (excluded.Count > 0 ? $"; left out: {string.Join(", ", excluded.Select(e => $"{e.Item1.Name} {e.Item2}"))}" : "");
        return new SiteRanking([.. ranked.Select(x => x.Site)], reason, excluded);
    }

    /// <summary>True when the sites in time that are up can hold <see cref="MatcherSettings.InTimeNodesEnough"/> nodes or more.</summary>
    private bool InTimeSitesHoldEnough(IReadOnlyList<SiteBook> sites, PlacementContext context) =>
        sites.Where(s => s.Health.State != SiteHealthState.Down && Eta(s) - Math.Max(0, context.DeadlineSeconds) <= Settings.MaxLatenessSeconds)
            .Sum(s => s.Spec.MaxNodes) >= Settings.InTimeNodesEnough;

    /// <summary>Splits <paramref name="count"/> more nodes over the sites (placing one at a time); returns nodes per site and the reason of each placement.</summary>
    public (IReadOnlyDictionary<string, int> Nodes, IReadOnlyList<string> Reasons) Split(int count, IReadOnlyList<SiteBook> sites, PlacementContext context)
    {
        var placed = new Dictionary<string, int>(StringComparer.Ordinal);
        var reasons = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var r = Rank(sites, context, placed);
            reasons.Add(r.Reason);
            if (r.Best is not { } best) break;
            placed[best.Name] = placed.GetValueOrDefault(best.Name) + 1;
        }

        return (placed, reasons);
    }

    /// <summary>The order to release nodes in: booting before running, then costliest, then least healthy, then newest.</summary>
    public static IReadOnlyList<string> ReleaseOrder(IEnumerable<(string Id, SiteBook Site, NodeInfo Node)> nodes) =>
        [.. (nodes ?? throw new ArgumentNullException(nameof(nodes)))
            .OrderBy(n => n.Node.State == NodeState.Booting ? 0 : 1)
            .ThenByDescending(n => n.Site.Spec.CostWeight)
            .ThenByDescending(n => (int)n.Site.Health.State)
            .ThenByDescending(n => n.Node.RequestedAt)
            .Select(n => n.Id)];
}

using System.Globalization;
using Streams.Control.Sites;

namespace Streams.Control.Simulation;

/// <summary>
/// TARDIS-style placement: the demand is split over the sites in proportion to their quota weighted by their
/// utilisation (the share of their live nodes that run, 1 while none is live): the next node goes to the site furthest
/// below its share. Sites are known only by their quota: no health, queue wait, bandwidth or budget.
/// </summary>
public sealed class TardisPolicy : ISitePolicy
{
    public string Name => "tardis";

    public bool MigratesBeforeWalltime => false;

    public SiteRanking Rank(IReadOnlyList<SiteBook> sites, PlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(sites);
        static double Utilisation(SiteBook s) => s.Live == 0 ? 1 : (double)s.Running / s.Live;
        var open = sites.Where(s => s.Live < s.Spec.QuotaNodes).ToList();
        var weights = open.ToDictionary(s => s.Name, s => s.Spec.QuotaNodes * Math.Max(0.05, Utilisation(s)), StringComparer.Ordinal);
        var total = weights.Values.Sum();
        var live = open.Sum(s => s.Live) + 1;
        var ranked = open.OrderByDescending(s => (weights[s.Name] / total * live) - s.Live).ToList();
        return new SiteRanking(ranked, ranked.Count == 0 ? "every site is at its quota" : $"{ranked[0].Name}: furthest below its utilisation-weighted share", []);
    }
}

/// <summary>
/// HEPCloud's decision engine: figure of merit cost x (running + 1) / max allowed, lowest first; infinite (left out)
/// when the site is full or down.
/// </summary>
public sealed class HepCloudPolicy : ISitePolicy
{
    public string Name => "hepcloud";

    public bool MigratesBeforeWalltime => false;

    public static double Merit(SiteBook site)
    {
        ArgumentNullException.ThrowIfNull(site);
        return site.Live >= site.Spec.QuotaNodes || site.Health.State == SiteHealthState.Down
            ? double.PositiveInfinity
            : site.Spec.CostWeight * (site.Running + 1) / site.Spec.QuotaNodes;
    }

    public SiteRanking Rank(IReadOnlyList<SiteBook> sites, PlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(sites);
        var ranked = sites.Where(s => !double.IsPositiveInfinity(Merit(s))).OrderBy(Merit).ToList();
        return new SiteRanking(ranked, ranked.Count == 0 ? "every site is full or down" : string.Create(CultureInfo.InvariantCulture, $"{ranked[0].Name}: figure of merit {Merit(ranked[0]):0.###}"), []);
    }
}

/// <summary>Parsl-style: a site chosen at random among those below their quota (seeded).</summary>
public sealed class RandomPolicy(int seed) : ISitePolicy
{
    private readonly Random _rng = new(seed);

    public string Name => "random";

    public bool MigratesBeforeWalltime => false;

    public SiteRanking Rank(IReadOnlyList<SiteBook> sites, PlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(sites);
#pragma warning disable CA5394 // a seeded simulation, not security
        var ranked = sites.Where(s => s.Live < s.Spec.QuotaNodes).OrderBy(_ => _rng.Next()).ToList();
#pragma warning restore CA5394
        return new SiteRanking(ranked, ranked.Count == 0 ? "every site is at its quota" : $"{ranked[0].Name}: at random", []);
    }
}

namespace Streams.Control.Sites;

/// <summary>What a policy knows when it places the next node: the time left before the queue overflows.</summary>
/// <param name="DeadlineSeconds">Seconds until the queue would pass its target at the current backlog growth (0: already over; infinity: not growing).</param>
public readonly record struct PlacementContext(double DeadlineSeconds);

/// <summary>A ranking of sites for the next node, best first, with why (for the log), and the sites left out with why.</summary>
public sealed record SiteRanking(IReadOnlyList<SiteBook> Ranked, string Reason, IReadOnlyList<(SiteBook Site, string Why)> Excluded)
{
    public SiteBook? Best => Ranked.Count > 0 ? Ranked[0] : null;
}

/// <summary>How the next node's site is chosen (<see cref="SiteMatcher"/>, or a baseline in the simulation).</summary>
public interface ISitePolicy
{
    string Name { get; }

    /// <summary>Whether nodes near their walltime are reported draining early so their replacement is requested in time.</summary>
    bool MigratesBeforeWalltime { get; }

    /// <summary>The sites the next node may go to, best first (a request falls through to the next when a site fails).</summary>
    SiteRanking Rank(IReadOnlyList<SiteBook> sites, PlacementContext context);

    /// <summary>The predicted seconds until a node asked for now serves (p90 at the best site), for walltime migration.</summary>
    double PredictedTimeToCapacity(IReadOnlyList<SiteBook> sites, PlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(sites);
        return Rank(sites, context).Best?.Joins.P90 ?? double.PositiveInfinity;
    }
}

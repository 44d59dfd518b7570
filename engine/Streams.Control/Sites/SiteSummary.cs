namespace Streams.Control.Sites;

/// <summary>
/// One site in the summary's <c>"sites"</c> section: what was asked of it and what it gave (nodes requested, joined,
/// failed, released; requests sent while it failed; nodes lost to their walltime), what it cost (node-hours, budget
/// left), how long its nodes took to join (p50/p90, measured or still the prior) and how it did (health now, times down).
/// </summary>
/// <param name="Provider">The site's node provider (local, slurm, kubernetes).</param>
/// <param name="Requested">Nodes asked for at the site.</param>
/// <param name="Joined">Nodes that joined.</param>
/// <param name="Failed">Nodes that failed, never joined or died young.</param>
/// <param name="Released">Nodes released.</param>
/// <param name="RequestsFailed">Requests sent to the site while it failed (the call threw or timed out).</param>
/// <param name="LostToWalltime">Ready nodes that reached their walltime while still counted as capacity.</param>
/// <param name="NodeHours">Node-hours the site's nodes ran (join to end, or now).</param>
/// <param name="BudgetLeft">Node-hours left of the site's allocation; null when it has no budget.</param>
/// <param name="JoinP50Seconds">The learned median request-to-join time.</param>
/// <param name="JoinP90Seconds">The learned 90th percentile request-to-join time.</param>
/// <param name="JoinMeasured">True when joins were measured; false: the p50/p90 are still the boot prior.</param>
/// <param name="JoinsMeasured">Joins measured since the start.</param>
/// <param name="Health">up, slow or down.</param>
/// <param name="TimesDown">How many times the site went down.</param>
/// <param name="LastError">The last failure's message, or null.</param>
public sealed record SiteSummary(
    string Provider,
    int Requested,
    int Joined,
    int Failed,
    int Released,
    int RequestsFailed,
    int LostToWalltime,
    double NodeHours,
    double? BudgetLeft,
    double JoinP50Seconds,
    double JoinP90Seconds,
    bool JoinMeasured,
    int JoinsMeasured,
    string Health,
    int TimesDown,
    string? LastError)
{
    /// <summary>The summary of <paramref name="book"/>.</summary>
    public static SiteSummary Of(SiteBook book)
    {
        ArgumentNullException.ThrowIfNull(book);
        return new SiteSummary(
            book.Spec.Provider.ToString().ToLowerInvariant(),
            book.Requested,
            book.Joined,
            book.Failed,
            book.Released,
            book.RequestsFailed,
            book.LostToWalltime,
            Math.Round(book.NodeHours, 3),
            double.IsPositiveInfinity(book.BudgetLeft) ? null : Math.Round(book.BudgetLeft, 3),
            Math.Round(book.Joins.P50, 1),
            Math.Round(book.Joins.P90, 1),
            book.Joins.Total > 0,
            book.Joins.Total,
            book.Health.State.ToString().ToLowerInvariant(),
            book.Health.TimesDown,
            book.Health.LastError);
    }
}

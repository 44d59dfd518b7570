using System.Globalization;
using Streams.Control.Live;
using Streams.Control.Nodes;

namespace Streams.Control.Sites;

/// <summary>One site for <see cref="MultiSiteProvider"/>: its spec and the provider that runs its nodes.</summary>
public sealed record SiteProvider(SiteSpec Spec, INodeProvider Provider);

/// <summary>
/// A node provider over several sites, each behind its own <see cref="GuardedProvider"/>. A request goes to the site
/// the policy (<see cref="SiteMatcher"/> by default) ranks best for the next node, given the deadline
/// (<see cref="Deadline"/>) and each site's books, falling through to the next when a site's call fails or times out.
/// Lists of all sites are merged (ids <c>SITE/ID</c>, so a release routes back) and feed the <see cref="SiteBook"/>s;
/// the sites are listed in parallel, and a site that does not answer is marked down: its booting nodes are reported
/// failed (so the controller asks for them again, at the other sites, at its next tick) and are cancelled when it
/// answers again; its ready nodes are reported as last seen. Walltime migration: a ready node whose remaining walltime
/// is below its replacement's predicted time to capacity (plus <see cref="MigrationMarginSeconds"/>) is reported
/// draining, so that the controller requests the replacement at the best site now.
/// </summary>
public sealed class MultiSiteProvider : INodeProvider, IDisposable
{
    private readonly TimeProvider _time;
    private readonly List<Site> _sites;
    private readonly Dictionary<string, NodeState> _reported = new(StringComparer.Ordinal);

    public MultiSiteProvider(IReadOnlyList<SiteProvider> sites, NodeGuards guards, TimeProvider? time = null, ISitePolicy? policy = null, SiteHealthSettings? health = null)
    {
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(guards);
        if (sites.Count == 0) throw new ArgumentException("at least one site is needed", nameof(sites));
        _time = time ?? TimeProvider.System;
        Policy = policy ?? new SiteMatcher();
        _sites = [.. sites.Select(s => new Site(
            new SiteBook(s.Spec, _time, health, guards.YoungSeconds),
            new GuardedProvider(s.Provider, guards with { JoinTimeoutSeconds = Math.Max(guards.JoinTimeoutSeconds, 3 * s.Spec.Boot.P90Seconds) }, _time)))];
        CoresPerNode = sites.Min(s => s.Spec.CoresPerNode);
    }

    public string Name => $"sites({string.Join(",", _sites.Select(s => s.Book.Name))})";

    /// <summary>The smallest node of all sites (the controller sizes by one node shape).</summary>
    public int CoresPerNode { get; }

    public ISitePolicy Policy { get; }

    /// <summary>The books of every site, in the order given.</summary>
    public IReadOnlyList<SiteBook> Sites => [.. _sites.Select(s => s.Book)];

    /// <summary>Seconds until the queue overflows at the current backlog growth (set by the caller); null: <see cref="DefaultDeadlineSeconds"/>.</summary>
    public Func<double>? Deadline { get; set; }

    public double DefaultDeadlineSeconds { get; set; } = 300;

    /// <summary>Added to the replacement's predicted time to capacity when deciding that a node near its walltime drains (one control interval or so).</summary>
    public double MigrationMarginSeconds { get; set; } = 30;

    /// <summary>Where decisions and their reasons go (the run's log).</summary>
    public Action<string>? Log { get; set; }

    public SiteMetrics? Metrics { get; set; }

    /// <summary>The last placement's reason.</summary>
    public string? LastReason { get; private set; }

    /// <summary>Ready nodes that reached their walltime while still reported as capacity.</summary>
    public int LostToWalltime => _sites.Sum(s => s.Book.LostToWalltime);

    private PlacementContext Context => new(Deadline?.Invoke() ?? DefaultDeadlineSeconds);

    public async Task<string> RequestAsync(CancellationToken cancel = default)
    {
        var context = Context;
        var errors = new List<string>();
        var tried = new HashSet<SiteBook>();
        string? first = null;
        // Ranked again after each failure: a site that fails changes what the others are worth (a late site may be all there is).
        while (Policy.Rank([.. Sites.Where(b => !tried.Contains(b))], context) is { Best: { } book } ranking)
        {
            first ??= ranking.Reason;
            LastReason = ranking.Reason;
            tried.Add(book);
            var site = _sites.First(s => s.Book == book);
            try
            {
                var id = await site.Provider.RequestAsync(cancel).ConfigureAwait(false);
                book.OnRequested(id);
                // Booting until a list says otherwise: if the site stops answering first, it is given up with the rest.
                site.Last = [.. site.Last, new NodeInfo(id, NodeState.Booting, book.Spec.CoresPerNode, _time.GetUtcNow())];
                Metrics?.Request(book.Name, placed: true);
                Log?.Invoke($"sites: node {book.Name}/{id} requested ({Policy.Name}: {ranking.Reason}{(errors.Count == 0 ? "" : $"; after {string.Join("; ", errors)}")})");
                return $"{book.Name}/{id}";
            }
            catch (Exception e) when (NodeStepper.IsProviderError(e))
            {
                var message = e.Message.Split('\n')[0];
                errors.Add($"{book.Name} failed: {message}");
                // A breaker's refusal is the guard's word, not a site that stopped answering.
                if (site.Provider.Breaker == "closed") book.OnRequestFailed(message);
                Metrics?.Request(book.Name, placed: false);
            }
        }

        LastReason = first ?? Policy.Rank(Sites, context).Reason;
        throw new InvalidOperationException(errors.Count > 0 ? $"every site failed: {string.Join("; ", errors)}" : LastReason);
    }

    public async Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default)
    {
        var (site, inner) = Route(id);
        if (site.Abandoned.Contains(inner))
        {
            site.Book.OnReleased(inner); // reported failed already; cancelled when its site answers
            return;
        }

        await site.Provider.ReleaseAsync(inner, drain, cancel).ConfigureAwait(false);
        site.Book.OnReleased(inner);
        Log?.Invoke($"sites: node {id} released{(drain ? " with drain" : "")} ({site.Book.Name}: cost {site.Book.Spec.CostWeight.ToString(CultureInfo.InvariantCulture)}, {site.Book.Health.State.ToString().ToLowerInvariant()})");
    }

    public async Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancel = default)
    {
        var lists = await Task.WhenAll(_sites.Select(s => ListSite(s, cancel))).ConfigureAwait(false);
        var merged = new List<NodeInfo>();
        var context = Context;
        var replacement = double.NaN;
        for (var i = 0; i < _sites.Count; i++)
        {
            var site = _sites[i];
            foreach (var n in lists[i])
            {
                var id = $"{site.Book.Name}/{n.Id}";
                var state = n.State;
                if (state == NodeState.Ready && Policy.MigratesBeforeWalltime && site.Book.RemainingSeconds(n.Id) is { } left)
                {
                    if (double.IsNaN(replacement)) replacement = Policy.PredictedTimeToCapacity(Sites, context);
                    if (left <= replacement + MigrationMarginSeconds)
                    {
                        state = NodeState.Draining;
                        if (_reported.GetValueOrDefault(id) != NodeState.Draining)
                        {
                            Log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"sites: node {id} has {left:0} s of walltime left, below its replacement's predicted time to capacity ({replacement:0} s): draining, replacement requested now"));
                        }
                    }
                }

                if (state is NodeState.Gone && _reported.GetValueOrDefault(id) == NodeState.Ready && site.Book.Spec.WalltimeSeconds is { } wall
                    && site.Book.JoinedAt(n.Id) is { } joined && (_time.GetUtcNow() - joined).TotalSeconds >= wall - 1)
                {
                    site.Book.OnLostToWalltime();
                }

                _reported[id] = state;
                if (state is NodeState.Gone or NodeState.Failed) _reported.Remove(id);
                merged.Add(n with { Id = id, State = state });
            }
        }

        Metrics?.Update(Sites, merged);
        return merged;
    }

    /// <summary>The summary's <c>"sites"</c> section: one <see cref="SiteSummary"/> per site, in the order given.</summary>
    public IReadOnlyDictionary<string, SiteSummary> Summary() =>
        _sites.ToDictionary(s => s.Book.Name, s => SiteSummary.Of(s.Book), StringComparer.Ordinal);

    public string Describe(NodeCall operation) => $"{operation.ToString().ToLowerInvariant()} at {string.Join(", ", _sites.Select(s => $"{s.Book.Name} ({s.Provider.Describe(operation)})"))}";

    /// <summary>Lists one site; a site that fails or is down gives its last list, with booting nodes reported failed (abandoned).</summary>
    private async Task<IReadOnlyList<NodeInfo>> ListSite(Site site, CancellationToken cancel)
    {
        if (site.Book.Health.TakeProbe())
        {
            try
            {
                var list = await site.Provider.ListAsync(cancel).ConfigureAwait(false);
                site.Book.OnListed(list);
                site.Last = [.. list.Where(n => n.State is not (NodeState.Gone or NodeState.Failed))];
                return await Reclaim(site, list, cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (NodeStepper.IsProviderError(e))
            {
                site.Book.Health.CallFailed(e.Message.Split('\n')[0]);
                Log?.Invoke($"sites: {site.Book.Name} does not answer ({e.Message.Split('\n')[0]}): down, its booting nodes are asked for elsewhere");
            }
        }

        // Down: what it ran last is assumed still running; what was booting is given up.
        foreach (var n in site.Last.Where(n => n.State == NodeState.Booting))
        {
            if (site.Abandoned.Add(n.Id)) site.Book.OnGivenUp(n.Id);
        }

        var stale = site.Last.Select(n => site.Abandoned.Contains(n.Id) ? n with { State = NodeState.Failed } : n).ToList();
        site.Last = [.. site.Last.Where(n => !site.Abandoned.Contains(n.Id))];
        return stale;
    }

    /// <summary>Nodes given up while their site was down: cancelled now that it answers, and reported gone.</summary>
    private static async Task<IReadOnlyList<NodeInfo>> Reclaim(Site site, IReadOnlyList<NodeInfo> list, CancellationToken cancel)
    {
        if (site.Abandoned.Count == 0) return list;
        var result = new List<NodeInfo>(list.Count);
        foreach (var n in list)
        {
            if (!site.Abandoned.Contains(n.Id))
            {
                result.Add(n);
                continue;
            }

            if (n.State is NodeState.Booting or NodeState.Ready or NodeState.Draining)
            {
                try
                {
                    await site.Provider.ReleaseAsync(n.Id, drain: n.State != NodeState.Booting, cancel).ConfigureAwait(false);
                    site.Book.OnReleased(n.Id);
                }
                catch (Exception e) when (NodeStepper.IsProviderError(e))
                {
                    continue; // asked again at the next list
                }
            }

            site.Abandoned.Remove(n.Id);
        }

        site.Last = [.. site.Last.Where(n => !site.Abandoned.Contains(n.Id) && result.Any(r => r.Id == n.Id))];
        return result;
    }

    private (Site Site, string Inner) Route(string id)
    {
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        var site = slash > 0 ? _sites.FirstOrDefault(s => s.Book.Name == id[..slash]) : null;
        return site is null ? throw new InvalidOperationException($"node '{id}' names no known site (ids are SITE/ID)") : (site, id[(slash + 1)..]);
    }

    public void Dispose()
    {
        foreach (var s in _sites) s.Provider.Dispose();
    }

    private sealed class Site(SiteBook book, GuardedProvider provider)
    {
        public SiteBook Book { get; } = book;

        public GuardedProvider Provider { get; } = provider;

        public IReadOnlyList<NodeInfo> Last { get; set; } = [];

        public HashSet<string> Abandoned { get; } = new(StringComparer.Ordinal);
    }
}

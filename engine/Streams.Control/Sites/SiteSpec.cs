namespace Streams.Control.Sites;

/// <summary>Which node provider runs a site's nodes.</summary>
public enum SiteProviderKind
{
    /// <summary>Worker processes on this machine.</summary>
    Local,

    /// <summary>SLURM pilot jobs (sbatch), with the site's own SLURM_CONF.</summary>
    Slurm,

    /// <summary>Kubernetes workloads on JRM (virtual-kubelet) nodes.</summary>
    Kubernetes,
}

/// <summary>A boot-time prior: the request-to-join time (seconds) at its median and 90th percentile, before any join is measured.</summary>
public sealed record BootPrior(double P50Seconds, double P90Seconds)
{
    /// <summary>Checks that the percentiles are positive and ordered.</summary>
    public void Validate()
    {
        if (!(P50Seconds > 0) || !(P90Seconds >= P50Seconds)) throw new ArgumentException($"boot prior needs 0 < p50 ({P50Seconds}) <= p90 ({P90Seconds})");
    }
}

/// <summary>
/// One facility nodes come from: its provider and that provider's own settings (SLURM_CONF, partition, account,
/// Kubernetes namespace...), its caps (quota in nodes and cores, pending requests, its share of the network link, an
/// allocation budget in node-hours), the shape of its nodes, their walltime, a boot-time prior, a cost weight (cost units
/// per node-hour) and the JIRIAF labels its pilots carry.
/// </summary>
public sealed record SiteSpec
{
    /// <summary>The site's name (a prefix of its nodes' ids: SITE/ID).</summary>
    public required string Name { get; init; }

    public SiteProviderKind Provider { get; init; } = SiteProviderKind.Local;

    /// <summary>The provider's own settings, as written (slurm-conf, partition, account, qos, namespace, image...).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Most nodes at once (booting or ready).</summary>
    public int QuotaNodes { get; init; } = 4;

    /// <summary>Most cores at once; null: only the node quota.</summary>
    public int? QuotaCores { get; init; }

    public int CoresPerNode { get; init; } = 16;

    public double MemoryGbPerNode { get; init; } = 32;

    /// <summary>A node's walltime (seconds from join to its end); null: no end.</summary>
    public double? WalltimeSeconds { get; init; }

    public BootPrior Boot { get; init; } = new(60, 120);

    /// <summary>The site's share of the network link, Gbit/s; null: not a limit.</summary>
    public double? LinkGbps { get; init; }

    /// <summary>What one node ingests, Gbit/s.</summary>
    public double IngestGbpsPerNode { get; init; }

    /// <summary>Cost units per node-hour.</summary>
    public double CostWeight { get; init; } = 1;

    /// <summary>Allocation budget, node-hours; null: unlimited.</summary>
    public double? BudgetNodeHours { get; init; }

    /// <summary>Most requests pending (booting) at once, so that a slow site does not hoard requests.</summary>
    public int MaxPending { get; init; } = 4;

    /// <summary>The pilot's <c>jiriaf.site</c> label (default: the site's name).</summary>
    public string? JiriafSite { get; init; }

    /// <summary>The pilot's <c>jiriaf.nodetype</c> label.</summary>
    public string JiriafNodeType { get; init; } = "cpu";

    /// <summary>Most nodes the site's bandwidth share carries (int.MaxValue when the link is no limit).</summary>
    public int BandwidthNodes => LinkGbps is { } link && IngestGbpsPerNode > 0 ? (int)Math.Floor((link / IngestGbpsPerNode) + 1e-9) : int.MaxValue;

    /// <summary>Most nodes at once by quota (nodes and cores) and bandwidth.</summary>
    public int MaxNodes => Math.Min(Math.Min(QuotaNodes, QuotaCores is { } c ? c / Math.Max(1, CoresPerNode) : int.MaxValue), BandwidthNodes);
}

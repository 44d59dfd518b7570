using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Streams.Engine.Operators;

namespace Streams.Cli.Commands;

/// <summary>
/// One site as <c>streams sites status</c> shows it: from a running run's <c>streams_site_*</c> metrics (nodes by
/// state, learned join times, health, bandwidth, budget, what was asked and given), or polled once from a sites file
/// (free cores, the batch system's queue, quota and priors). What a source does not know is null.
/// </summary>
/// <param name="Site">The site's name.</param>
/// <param name="Provider">Its node provider (local, slurm, kubernetes).</param>
/// <param name="Pipeline">The pipeline whose controller placed the nodes (from a run).</param>
/// <param name="Health">up, slow or down (from a run); polled: up when the site answered, down when not, null when not polled.</param>
/// <param name="Booting">Nodes asked for, not joined.</param>
/// <param name="Ready">Nodes ready.</param>
/// <param name="Draining">Nodes draining (released, or near their walltime).</param>
/// <param name="QuotaNodes">Most nodes at once (quota in nodes and cores, bandwidth share); null: no limit.</param>
/// <param name="JoinP50Seconds">Median request-to-join time.</param>
/// <param name="JoinP90Seconds">90th percentile request-to-join time.</param>
/// <param name="JoinMeasured">True when the join times were measured; false: the boot prior.</param>
/// <param name="BandwidthUsedGbps">Running nodes x ingest per node, Gbit/s.</param>
/// <param name="BandwidthShareGbps">The site's share of the network link, Gbit/s; null: no limit.</param>
/// <param name="BudgetLeftNodeHours">Node-hours left of the allocation; null: no budget.</param>
/// <param name="NodeHours">Node-hours the site's nodes ran.</param>
/// <param name="Requested">Nodes asked for at the site.</param>
/// <param name="Joined">Nodes that joined.</param>
/// <param name="Failed">Nodes that failed, never joined or died young.</param>
/// <param name="TimesDown">Times the site went down.</param>
/// <param name="FreeCores">Polled: cores free at the site now (local: this machine's cores less its load; SLURM: sinfo's idle CPUs).</param>
/// <param name="QueuedJobs">Polled: jobs waiting in the site's queue (SLURM: squeue's pending jobs).</param>
/// <param name="Note">What the poll said (or why it failed).</param>
internal sealed record SiteStatus(
    string Site,
    string Provider,
    string? Pipeline = null,
    string? Health = null,
    int? Booting = null,
    int? Ready = null,
    int? Draining = null,
    int? QuotaNodes = null,
    double JoinP50Seconds = 0,
    double JoinP90Seconds = 0,
    bool JoinMeasured = false,
    double? BandwidthUsedGbps = null,
    double? BandwidthShareGbps = null,
    double? BudgetLeftNodeHours = null,
    double? NodeHours = null,
    int? Requested = null,
    int? Joined = null,
    int? Failed = null,
    int? TimesDown = null,
    int? FreeCores = null,
    int? QueuedJobs = null,
    string? Note = null);

/// <summary>
/// <c>streams sites status</c>: a table per site of a pool of facilities, from a running run's metrics endpoint
/// (<c>--from HOST:PORT</c>) or, with no run, by asking each site of a sites file once (<c>--sites FILE</c>).
/// </summary>
internal static partial class SitesCommand
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static Command Create()
    {
        var from = new Option<string?>("--from") { Description = "A running run's metrics endpoint (its --metrics-listen): read the streams_site_* metrics its controller exports.", HelpName = "HOST:PORT" };
        var sites = new Option<FileInfo?>("--sites") { Description = "A sites.yaml, with no run: ask each site once (local: free cores; slurm: sinfo and squeue with the site's slurm-conf) and show quota and priors.", HelpName = "FILE" };
        var json = new Option<bool>("--json") { Description = "Print the sites as JSON (one entry per site; nulls left out)." };
        var timeout = new Option<double>("--timeout") { Description = "How long to wait for the endpoint or each site's command, seconds.", DefaultValueFactory = _ => 10, HelpName = "SECONDS" }.Positive();
        var status = new Command("status", """
            Show each site of a pool of facilities: nodes by state (booting, ready, draining) against its quota, the
            p50/p90 time from request to join (learned, or the boot prior: marked 'prior'), health (up, slow, down) and
            times down, bandwidth used (running nodes x ingest per node) against the site's share of the link, node-hours
            and budget left. From a running run (--from HOST:PORT, its metrics endpoint) or, with no run, from a sites
            file (--sites FILE: each site asked once, as the facility manager does). Exit status 1 when the source cannot
            be read.
            Examples:
              streams sites status --from 127.0.0.1:9100
              streams sites status --sites deploy/sites/three-sites.yaml --json
            """)
        {
            from, sites, json, timeout,
        };
        status.SetAction(async (parse, ct) =>
        {
            var address = parse.GetValue(from);
            var file = parse.GetValue(sites);
            if ((address is null) == (file is null)) return CliErrors.Usage("give --from HOST:PORT (a running run) or --sites FILE (no run)");
            var limit = TimeSpan.FromSeconds(parse.GetValue(timeout));
            IReadOnlyList<SiteStatus> table;
            string source;
            if (address is not null)
            {
                if (Endpoint(address) is not { } endpoint) return CliErrors.Usage($"--from '{address}': give HOST:PORT (the run's metrics endpoint)");
                source = endpoint;
                var (read, error) = await FromRunAsync(endpoint, limit, ct).ConfigureAwait(false);
                if (read is null) return CliErrors.Fail(error!);
                table = read;
            }
            else
            {
                IReadOnlyList<Control.Sites.SiteSpec> specs;
                try
                {
                    specs = Control.Sites.SitesFile.Load(file!.FullName);
                }
                catch (ConfigException e)
                {
                    Console.Error.WriteLine(e.Location is { } at ? $"{at}: error: {e.Message}" : $"error: {e.Message}");
                    return CliErrors.UsageExit;
                }

                source = file!.FullName;
                table = await PollAsync(specs, limit, ct).ConfigureAwait(false);
            }

            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(new { source, sites = table }, Indented));
            else Print(source, table);
            return 0;
        });
        return new Command("sites", "Several facilities in one pool (control.sites: FILE): the state of each site.") { status };
    }

    /// <summary>HOST:PORT from <paramref name="text"/> (an <c>http://</c> prefix and a <c>/metrics</c> path are allowed); null when it is none.</summary>
    internal static string? Endpoint(string text)
    {
        var t = text.Trim();
        if (t.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) t = t[7..];
        t = t.TrimEnd('/');
        if (t.EndsWith("/metrics", StringComparison.Ordinal)) t = t[..^8];
        return Engine.Spec.ListenAddress.TryParse(t, out var a) is null ? $"{a.Host}:{a.Port}" : null;
    }

    private static void Print(string source, IReadOnlyList<SiteStatus> sites)
    {
        var inv = CultureInfo.InvariantCulture;
        static string N(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";
        static string G(double? v) => v is { } x ? x.ToString("0.##", CultureInfo.InvariantCulture) : "-";
        var pipelines = sites.Select(s => s.Pipeline).Distinct().ToList();
        Console.WriteLine($"sites of {(pipelines is [{ } p] ? $"pipeline '{p}' at " : "")}{source}: {sites.Count}");
        Console.WriteLine($"  {"site",-12} {"provider",-10} {"health",-7} {"booting",7} {"ready",5} {"draining",8} {"quota",5} {"join p50/p90 s",16} {"Gbit/s used/share",17} {"node-h",7} {"budget left",11} {"down",4}");
        foreach (var s in sites)
        {
            var join = string.Create(inv, $"{s.JoinP50Seconds:0}/{s.JoinP90Seconds:0}{(s.JoinMeasured ? "" : " prior")}");
            Console.WriteLine(string.Create(inv, $"  {s.Site,-12} {s.Provider,-10} {s.Health ?? "-",-7} {N(s.Booting),7} {N(s.Ready),5} {N(s.Draining),8} {(s.QuotaNodes is { } q ? N(q) : "none"),5} {join,16} {$"{G(s.BandwidthUsedGbps)}/{(s.BandwidthShareGbps is { } b ? G(b) : "none")}",17} {G(s.NodeHours),7} {(s.BudgetLeftNodeHours is { } left ? G(left) : "none"),11} {N(s.TimesDown),4}"));
            if (s.FreeCores is not null || s.QueuedJobs is not null || s.Note is not null)
            {
                Console.WriteLine($"  {"",-12} {string.Join("; ", new[] { s.FreeCores is { } f ? $"{f} cores free" : null, s.QueuedJobs is { } j ? $"{j} job(s) queued" : null, s.Note }.Where(x => x is not null))}");
            }
        }
    }
}

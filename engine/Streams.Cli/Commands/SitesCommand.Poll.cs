using System.Globalization;
using Streams.Control.Sites;
using Streams.Jrm;

namespace Streams.Cli.Commands;

internal static partial class SitesCommand
{
    /// <summary>
    /// Each site of <paramref name="specs"/> asked once, in parallel, as the facility manager does: local, this
    /// machine's free cores; SLURM, <c>sinfo</c> (idle CPUs) and <c>squeue</c> (pending jobs) with the site's
    /// <c>slurm-conf</c> and <c>cluster</c>; Kubernetes is not asked. With the site's quota, priors, bandwidth share
    /// and budget from the file.
    /// </summary>
    internal static async Task<IReadOnlyList<SiteStatus>> PollAsync(IReadOnlyList<SiteSpec> specs, TimeSpan timeout, CancellationToken cancel, Func<SiteSpec, ICommandRunner>? runner = null)
    {
        var polled = await Task.WhenAll(specs.Select(s => PollSite(s, timeout, runner, cancel))).ConfigureAwait(false);
        return [.. specs.Zip(polled, (s, p) => p with
        {
            QuotaNodes = s.MaxNodes == int.MaxValue ? null : s.MaxNodes,
            JoinP50Seconds = s.Boot.P50Seconds,
            JoinP90Seconds = s.Boot.P90Seconds,
            BandwidthShareGbps = s.LinkGbps,
            BudgetLeftNodeHours = s.BudgetNodeHours,
        })];
    }

    private static async Task<SiteStatus> PollSite(SiteSpec site, TimeSpan timeout, Func<SiteSpec, ICommandRunner>? runner, CancellationToken cancel)
    {
        var status = new SiteStatus(site.Name, site.Provider.ToString().ToLowerInvariant());
        switch (site.Provider)
        {
            case SiteProviderKind.Local:
                return status with { Health = "up", FreeCores = LocalFreeCores(), Note = $"{Environment.ProcessorCount} cores on {Environment.MachineName}" };
            case SiteProviderKind.Kubernetes:
                return status with { Note = $"not asked: see kubectl get nodes -l jiriaf.site={site.JiriafSite ?? site.Name}" };
        }

        var conf = site.Settings.TryGetValue("slurm-conf", out var c) ? c : null;
        string[] cluster = site.Settings.TryGetValue("cluster", out var m) ? ["-M", m] : [];
        var run = runner?.Invoke(site) ?? new ProcessRunner(timeout, SlurmOptions.ConfEnvironment(conf));
        var where = conf is null ? "" : $" (SLURM_CONF={conf})";
        try
        {
            var (code, stdout, stderr) = await run.RunAsync("sinfo", [.. cluster, "-h", "-o", "%C"], cancel).ConfigureAwait(false);
            if (code != 0) return status with { Health = "down", Note = $"sinfo failed ({code}){where}: {FirstLine(stderr)}" };
            // %C is allocated/idle/other/total CPUs; with -M a "CLUSTER: name" line comes first.
            var cpus = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.Split('/')).LastOrDefault(f => f.Length == 4);
            var idle = cpus is not null && int.TryParse(cpus[1], NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : (int?)null;
            var (qcode, qout, qerr) = await run.RunAsync("squeue", [.. cluster, "-h", "-t", "PENDING", "-o", "%i"], cancel).ConfigureAwait(false);
            if (qcode != 0) return status with { Health = "down", FreeCores = idle, Note = $"squeue failed ({qcode}){where}: {FirstLine(qerr)}" };
            var queued = qout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Count(l => l.All(char.IsAsciiDigit) || l.Contains('_', StringComparison.Ordinal));
            return status with { Health = "up", FreeCores = idle, QueuedJobs = queued, Note = cpus is null ? $"sinfo said no CPUs{where}" : string.Create(CultureInfo.InvariantCulture, $"{cpus[3]} CPUs, {cpus[0]} allocated{where}") };
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return status with { Health = "down", Note = $"cannot run sinfo{where}: {FirstLine(e.Message)}" };
        }
    }

    /// <summary>This machine's cores less its one-minute load average (Linux); all its cores where that is not known.</summary>
    private static int LocalFreeCores()
    {
        try
        {
            var load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
            return Math.Max(0, Environment.ProcessorCount - (int)Math.Round(load));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return Environment.ProcessorCount;
        }
    }

    private static string FirstLine(string text) => text.Trim().Split('\n')[0].Trim();
}

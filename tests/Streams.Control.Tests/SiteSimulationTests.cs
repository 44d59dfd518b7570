using Streams.Control.Simulation;
using Streams.Control.Sites;

namespace Streams.Control.Tests;

public sealed class SiteSimulationTests
{
    private static string Repo([System.Runtime.CompilerServices.CallerFilePath] string here = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    private static IReadOnlyList<SiteSpec> ThreeSites() => SitesFile.Load(Path.Combine(Repo(), "deploy", "sites", "three-sites.yaml"));

    [Fact]
    public void The_shipped_sites_file_reads()
    {
        var sites = ThreeSites();
        Assert.Equal(["local", "hpc", "cloud"], sites.Select(s => s.Name));
        var hpc = sites[1];
        Assert.Equal(SiteProviderKind.Slurm, hpc.Provider);
        Assert.Equal(2400, hpc.WalltimeSeconds);
        Assert.Equal("/etc/slurm-hpc/slurm.conf", hpc.Settings["slurm-conf"]);
        Assert.Equal("perlmutter", hpc.JiriafSite);
        Assert.Equal(5, hpc.MaxNodes); // 4 Gbit/s at 0.8 a node
    }

    [Fact]
    public void A_bad_entry_is_reported_at_its_line_and_column()
    {
        var e = Assert.Throws<Engine.Operators.ConfigException>(() => SitesFile.Parse("sites:\n  - name: a\n    provider: slurm\n    boot-p50: soon\n", "s.yaml"));
        Assert.Equal("s.yaml:4:15", e.Location.ToString());
        Assert.Contains("'boot-p50' must be a number", e.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<Engine.Operators.ConfigException>(() => SitesFile.Parse("sites:\n  - name: a\n    quota: 3\n", "s.yaml"));
        Assert.Equal("s.yaml:3:5", unknown.Location.ToString());
    }

    [Fact]
    public async Task On_the_step_trace_the_matcher_spends_less_time_over_target_than_every_baseline_at_no_more_core_seconds()
    {
        var settings = new SiteSimulationSettings { Sites = ThreeSites(), Seed = 1 };
        var trace = ArrivalTrace.BuiltIn("step");
        var streams = await SiteSimulation.RunAsync(new SiteMatcher(), trace, settings);
        ISitePolicy[] baselines = [new TardisPolicy(), new HepCloudPolicy(), new RandomPolicy(1)];
        foreach (var b in baselines)
        {
            var r = await SiteSimulation.RunAsync(b, trace, settings);
            Assert.True(streams.TimeOverTargetSeconds < r.TimeOverTargetSeconds, $"{b.Name}: {r.TimeOverTargetSeconds} s over target vs streams {streams.TimeOverTargetSeconds}");
            Assert.True(streams.CoreSeconds <= r.CoreSeconds, $"{b.Name}: {r.CoreSeconds} core-s vs streams {streams.CoreSeconds}");
        }

        Assert.Equal(0, streams.LostToWalltime);
    }

    [Fact]
    public async Task During_an_outage_the_matcher_sends_no_requests_to_the_failed_site_after_the_first()
    {
        var settings = new SiteSimulationSettings { Sites = ThreeSites(), Seed = 1, Outages = [new SiteOutage("cloud", 1100, 2400)] };
        var r = await SiteSimulation.RunAsync(new SiteMatcher(), ArrivalTrace.BuiltIn("step"), settings);
        Assert.True(r.RequestsAtFailedSite <= 1, $"{r.RequestsAtFailedSite} requests at the failed site");
        Assert.True(r.NodesRequested > 0);
    }
}

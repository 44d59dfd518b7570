using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Streams.Control.Simulation;
using Streams.Control.Sites;
using Streams.Engine.Operators;

namespace Streams.Cli.Commands;

/// <summary>
/// <c>streams control simulate --sites FILE [--site-outage SITE:FROM:TO] [--runs N]</c>: the stage fed by nodes from
/// several sites, under each placement policy (streams, tardis, hepcloud, random), on the same traces and seeds.
/// </summary>
internal static class ControlSitesCommand
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Option<FileInfo?> Sites { get; } = new("--sites") { Description = "A sites.yaml (deploy/sites/three-sites.yaml): simulate nodes from several sites and compare placement policies (streams, tardis, hepcloud, random).", HelpName = "FILE" };

    public static Option<string[]> Outages { get; } = new("--site-outage") { Description = "With --sites: SITE fails from FROM to TO seconds of the trace (calls fail, nodes due then never join); repeatable.", AllowMultipleArgumentsPerToken = true, HelpName = "SITE:FROM:TO" };

    public static Option<int> Runs { get; } = new("--runs") { Description = "With --sites: seeds --seed .. --seed + N - 1.", DefaultValueFactory = _ => 1, HelpName = "N" };

    /// <summary>The options this file adds to <c>streams control simulate</c>.</summary>
    public static IEnumerable<Option> Options => [Sites, Outages, Runs];

    /// <summary>Runs the comparison; returns the exit code.</summary>
    public static int Run(FileInfo file, IReadOnlyList<ArrivalTrace> traces, string[]? outages, int runs, double queueTarget, int seed, FileInfo? json)
    {
        IReadOnlyList<SiteSpec> sites;
        List<SiteOutage> outs = [];
        try
        {
            sites = SitesFile.Load(file.FullName);
            foreach (var o in outages ?? []) outs.Add(SiteOutage.Parse(o));
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine(e.Location is { } at ? $"{at}: error: {e.Message}" : $"error: {e.Message}");
            return CliErrors.UsageExit;
        }
        catch (FormatException e)
        {
            return CliErrors.Usage($"--site-outage {e.Message}");
        }

        if (outs.FirstOrDefault(o => sites.All(s => s.Name != o.Site)) is { } unknown)
        {
            return CliErrors.Usage($"--site-outage: no site '{unknown.Site}' in {file.Name}{Suggestions.DidYouMean(unknown.Site, [.. sites.Select(s => s.Name)])}");
        }

        if (runs < 1) return CliErrors.Usage("--runs must be at least 1");
        var inv = CultureInfo.InvariantCulture;
        var results = new List<SiteSimulationResult>();
        Console.WriteLine($"sites: {string.Join("; ", sites.Select(s => string.Create(inv, $"{s.Name} ({s.Provider.ToString().ToLowerInvariant()}, {s.MaxNodes} x {s.CoresPerNode} cores, join p50/p90 {s.Boot.P50Seconds:0}/{s.Boot.P90Seconds:0} s, cost {s.CostWeight:0.##}{(s.WalltimeSeconds is { } w ? $", walltime {w:0} s" : "")})")))}");
        if (outs.Count > 0) Console.WriteLine($"outages: {string.Join(", ", outs.Select(o => string.Create(inv, $"{o.Site} {o.FromSeconds:0}-{o.ToSeconds:0} s")))}");
        foreach (var trace in traces)
        {
            for (var r = 0; r < runs; r++)
            {
                var settings = new SiteSimulationSettings { Sites = sites, Outages = outs, QueueTarget = queueTarget, Seed = seed + r };
                Console.WriteLine(string.Create(inv, $"trace {trace.Name} ({trace.DurationSeconds / 60:0} min), seed {settings.Seed}, queue target {queueTarget:0}"));
                Console.WriteLine($"  {"policy",-10} {"over target s",14} {"peak queue",11} {"core-s",10} {"cost",8} {"node-h",7} {"lost to wall",12} {"req at failed",13} {"nodes",6} {"failed",6}");
                foreach (var policy in Policies(settings.Seed))
                {
                    var x = SiteSimulation.RunAsync(policy, trace, settings).GetAwaiter().GetResult();
                    results.Add(x);
                    Console.WriteLine(string.Create(inv, $"  {x.Policy,-10} {x.TimeOverTargetSeconds,14:0} {x.PeakQueue,11:0} {x.CoreSeconds,10:0} {x.Cost,8:0.0} {x.NodeHours,7:0.0} {x.LostToWalltime,12} {x.RequestsAtFailedSite,13} {x.NodesRequested,6} {x.NodesFailed,6}"));
                }
            }
        }

        if (json is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(json.FullName)!);
            var doc = new { sites = file.FullName, queueTarget, outages = outs, results };
            File.WriteAllText(json.FullName, JsonSerializer.Serialize(doc, Indented));
            Console.WriteLine($"figures written to {json.FullName}");
        }

        return 0;
    }

    /// <summary>The policies compared: the matcher and the baselines.</summary>
    public static IReadOnlyList<ISitePolicy> Policies(int seed) => [new SiteMatcher(), new TardisPolicy(), new HepCloudPolicy(), new RandomPolicy(seed)];
}

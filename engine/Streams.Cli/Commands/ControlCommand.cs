using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Streams.Control.Laws;
using Streams.Control.Simulation;
using Streams.Engine.Operators;
using Streams.Reporting;

namespace Streams.Cli.Commands;

/// <summary><c>streams control simulate</c>: control laws against arrival traces on a virtual clock.</summary>
internal static class ControlCommand
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var trace = new Option<string[]>("--trace") { Description = "step, ramp, burst, diurnal, all, or a CSV with the columns seconds,rate (a header row naming them); repeatable.", DefaultValueFactory = _ => ["all"], AllowMultipleArgumentsPerToken = true, HelpName = "TRACE" };
        var law = new Option<string>("--law") { Description = $"{string.Join(", ", ControlLaws.Names)} or all.", DefaultValueFactory = _ => "all", HelpName = "LAW" };
        var json = new Option<FileInfo?>("--json") { Description = "Write the figures of every (trace, law) as JSON.", HelpName = "FILE" };
        var plots = new Option<DirectoryInfo>("--plots") { Description = "Folder for the PNG plots (arrivals, queue, capacity over time).", DefaultValueFactory = _ => new DirectoryInfo("out/control"), HelpName = "DIR" };
        var boot = new Option<double>("--boot-delay") { Description = "Mean node boot delay, seconds (normal, sd = a quarter of it).", DefaultValueFactory = _ => 120, HelpName = "SECONDS" }.NotNegative();
        var fail = new Option<double>("--fail-probability") { Description = "Probability that a requested node never becomes ready.", DefaultValueFactory = _ => 0.1, HelpName = "P" }.Range(0.0, 1.0);
        var target = new Option<double>("--queue-target") { Description = "Queue target (events) for the figures and for queue-model.", DefaultValueFactory = _ => 5000, HelpName = "EVENTS" }.Positive();
        var seed = new Option<int>("--seed") { Description = "Seed of arrivals, service, boot delays and failures.", DefaultValueFactory = _ => 1 };
        var set = new Option<string[]>("--set") { Description = "A law parameter, LAW.KEY=VALUE (for example queue-model.drain-seconds=120); repeatable.", AllowMultipleArgumentsPerToken = true, HelpName = "LAW.KEY=VALUE" }.Must(v => v is null || v.All(IsSetting), "LAW.KEY=VALUE");
        var simulate = new Command("simulate", """
            Simulate one stage (servers of 100 events/s, 8 local workers, nodes of 16 cores up to 8) fed by an arrival
            trace, under each control law, with the same arrivals, boot delays and failed nodes for every law. Prints per
            law: seconds with the queue over target, peak queue, core-seconds, scaling actions (and those while the load was
            flat for 10 min); writes PNG plots and, with --json, the figures.
            """)
        {
            trace, law, json, plots, boot, fail, target, seed, set,
        };
        foreach (var o in ControlSitesCommand.Options) simulate.Options.Add(o);
        simulate.SetAction(parse =>
        {
            var settings = new SimulationSettings
            {
                BootMeanSeconds = parse.GetValue(boot),
                BootSdSeconds = parse.GetValue(boot) / 4,
                FailProbability = Math.Clamp(parse.GetValue(fail), 0, 1),
                QueueTarget = parse.GetValue(target),
                Seed = parse.GetValue(seed),
            };
            List<ArrivalTrace> traces = [];
            try
            {
                foreach (var t in parse.GetValue(trace)!)
                {
                    if (t == "all") traces.AddRange(ArrivalTrace.BuiltIn("step"), ArrivalTrace.BuiltIn("ramp"), ArrivalTrace.BuiltIn("burst"), ArrivalTrace.BuiltIn("diurnal"));
                    else traces.Add(File.Exists(t) ? ArrivalTrace.FromCsv(t) : ArrivalTrace.BuiltIn(t, settings.Mu));
                }
            }
            catch (ArgumentException e)
            {
                return CliErrors.Usage($"--trace: {e.Message}"); // not a file and not a built-in trace
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                return CliErrors.Fail(e.Message);
            }

            if (parse.GetValue(ControlSitesCommand.Sites) is { } sitesFile)
            {
                return ControlSitesCommand.Run(sitesFile, [.. traces.Where(t => t.Name != "diurnal" || parse.GetValue(trace)!.Contains("diurnal"))], parse.GetValue(ControlSitesCommand.Outages),
                    parse.GetValue(ControlSitesCommand.Runs), parse.GetValue(target), parse.GetValue(seed), parse.GetValue(json));
            }

            var lawName = parse.GetValue(law)!;
            var laws = lawName == "all" ? ControlLaws.Names : [lawName];
            if (laws.Any(l => !ControlLaws.Names.Contains(l)))
            {
                return CliErrors.Usage($"--law: unknown law '{lawName}'{Engine.Operators.Suggestions.DidYouMean(lawName, ControlLaws.Names)} (use {string.Join(", ", ControlLaws.Names)} or all)");
            }

            foreach (var kv in parse.GetValue(set) ?? [])
            {
                var setLaw = kv[..kv.IndexOf('.', StringComparison.Ordinal)];
                if (!ControlLaws.Names.Contains(setLaw)) return CliErrors.Usage($"--set '{kv}': unknown law '{setLaw}'{Engine.Operators.Suggestions.DidYouMean(setLaw, ControlLaws.Names)}");
            }

            try
            {
                foreach (var l in laws) ControlLaws.Create(l, settings.Bounds, Parameters(l, parse.GetValue(set), settings));
            }
            catch (ArgumentException e)
            {
                return CliErrors.Usage($"--set: {e.Message}");
            }

            var dir = parse.GetValue(plots)!.FullName;
            Directory.CreateDirectory(dir);
            var inv = CultureInfo.InvariantCulture;
            var results = new List<SimulationResult>();
            foreach (var tr in traces)
            {
                Console.WriteLine(string.Create(inv, $"trace {tr.Name} ({tr.DurationSeconds / 60:0} min), boot delay {settings.BootMeanSeconds:0} s, {settings.FailProbability:P0} of nodes fail, queue target {settings.QueueTarget:0}"));
                Console.WriteLine($"  {"law",-16} {"over target s",14} {"peak queue",12} {"core-s",10} {"actions",8} {"flat",5} {"nodes",6} {"failed",6} {"backlog",8}");
                foreach (var l in laws)
                {
                    var r = StageSimulation.Run(ControlLaws.Create(l, settings.Bounds, Parameters(l, parse.GetValue(set), settings)), tr, settings);
                    results.Add(r);
                    Console.WriteLine(string.Create(inv, $"  {r.Law,-16} {r.TimeOverTargetSeconds,14:0} {r.PeakQueue,12:0} {r.CoreSeconds,10:0} {r.ScalingActions,8} {r.ActionsWhileFlat,5} {r.NodesRequested,6} {r.NodesFailed,6} {r.FinalQueue,8:0}"));
                    var s = r.Series;
                    TimeSeriesPlots.Stacked(Path.Combine(dir, $"{tr.Name}-{r.Law}.png"), s.Time,
                    [
                        new Panel($"{tr.Name} trace, law {r.Law}: arrivals", "arrivals (events/s)", [new Series("arrival rate", s.Arrivals, 0)]),
                        new Panel("queue and its target", "queue (events)", [new Series("queue", s.Queue, 0), new Series("queue target", [.. s.Time.Select(_ => settings.QueueTarget)], 3, Dashed: true)]),
                        new Panel("capacity", "servers", [new Series("ready", s.Ready, 0), new Series("requested", s.Requested, 1, Dashed: true)]),
                    ], "time (s)");
                }

                // The laws side by side on one time axis: the same arrivals, each law's queue and servers ready.
                var ofTrace = results.Where(r => r.Trace == tr.Name).ToList();
                if (ofTrace.Count > 0)
                {
                    var time = ofTrace[0].Series.Time;
                    TimeSeriesPlots.Stacked(Path.Combine(dir, $"{tr.Name}-laws.png"), time,
                    [
                        new Panel($"{tr.Name} trace: arrivals", "arrivals (events/s)", [new Series("arrival rate", ofTrace[0].Series.Arrivals, 0)]),
                        new Panel("queue per law", "queue (events)", [.. ofTrace.Select((r, i) => new Series(r.Law, r.Series.Queue, i)), new Series("queue target", [.. time.Select(_ => settings.QueueTarget)], 7, Dashed: true)]),
                        new Panel("capacity per law", "servers ready", [.. ofTrace.Select((r, i) => new Series(r.Law, r.Series.Ready, i))]),
                    ], "time (s)");
                }
            }

            Console.WriteLine($"plots, PNG and SVG (panels: arrivals/s; queue and target; ready and requested servers; TRACE-laws: every law on one time axis) in {dir}");
            if (parse.GetValue(json) is { } jf)
            {
                var doc = results.Select(r => new
                {
                    r.Trace, r.Law, r.TimeOverTargetSeconds, r.PeakQueue, r.CoreSeconds, r.ScalingActions, r.ActionsWhileFlat, r.EventsArrived, r.EventsServed, r.FinalQueue, r.NodesRequested, r.NodesFailed,
                });
                Directory.CreateDirectory(Path.GetDirectoryName(jf.FullName)!);
                File.WriteAllText(jf.FullName, JsonSerializer.Serialize(new { settings.BootMeanSeconds, settings.FailProbability, settings.QueueTarget, settings.Seed, results = doc }, Indented));
                Console.WriteLine($"figures written to {jf.FullName}");
            }

            return 0;
        });
        return new Command("control", "The queue-length controller: simulate control laws against arrival traces.") { simulate };
    }

    private static bool IsSetting(string kv)
    {
        var eq = kv.IndexOf('=', StringComparison.Ordinal);
        var dot = kv.IndexOf('.', StringComparison.Ordinal);
        return eq > 0 && dot > 0 && dot < eq;
    }

    /// <summary>The parameters of law <paramref name="law"/>: the simulation's own, then its --set LAW.KEY=VALUE values.</summary>
    private static Dictionary<string, string> Parameters(string law, string[]? set, SimulationSettings settings)
    {
        var inv = CultureInfo.InvariantCulture;
        var parameters = law == ControlLaws.QueueModel ? new Dictionary<string, string> { ["queue-target"] = settings.QueueTarget.ToString(inv), ["boot-seconds"] = settings.BootMeanSeconds.ToString(inv) } : [];
        foreach (var kv in set ?? [])
        {
            var eq = kv.IndexOf('=', StringComparison.Ordinal);
            var dot = kv.IndexOf('.', StringComparison.Ordinal);
            if (kv[..dot] == law) parameters[kv[(dot + 1)..eq]] = kv[(eq + 1)..];
        }

        return parameters;
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Streams.Control.Twin;
using Streams.Reporting;

namespace Streams.Cli.Commands;

/// <summary><c>streams twin calibrate | synth | replay</c>: the queue's digital twin (a Dynamic Bayesian Network).</summary>
internal static class TwinCommand
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var twin = new Command("twin", "The queue's digital twin: calibrate it on a real stage, make a trace with known truth, replay a trace through its filter.");
        twin.Subcommands.Add(Calibrate());
        twin.Subcommands.Add(Synth());
        twin.Subcommands.Add(Replay());
        return twin;
    }

    private static Command Calibrate()
    {
        var workUs = new Option<double>("--work-us") { Description = "Mean service time per event (exponential), microseconds.", DefaultValueFactory = _ => 1000, HelpName = "US" }.Positive();
        var workers = new Option<int[]>("--workers") { Description = "Worker counts to calibrate (the twin's controls; 16 32 where the machine has the cores).", DefaultValueFactory = _ => [1, 2], AllowMultipleArgumentsPerToken = true, HelpName = "N" }.AllPositive();
        var rhos = new Option<double[]>("--rho") { Description = "Traffic intensities lambda/(c mu) to sweep.", DefaultValueFactory = _ => [0.2, 0.4, 0.6, 0.8, 0.9], AllowMultipleArgumentsPerToken = true, HelpName = "RHO" }.Must(v => v is { Length: > 0 } && v.All(r => r is > 0 and < 1), "one or more values in (0, 1)");
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds per point (after 1 s of warm-up).", DefaultValueFactory = _ => 10, HelpName = "S" }.Positive();
        var output = new Option<FileInfo>("--output", "-o") { Description = "The table as CSV.", DefaultValueFactory = _ => new FileInfo("out/twin/calibration.csv"), HelpName = "FILE" };
        var plot = new Option<FileInfo>("--plot") { Description = "Observed against M/M/c Lq (PNG and SVG).", DefaultValueFactory = _ => new FileInfo("out/twin/calibration.png"), HelpName = "FILE" };
        var cmd = new Command("calibrate", """
            Run a real CPU-burning stage (exponential service, --work-us mean) fed by Poisson arrivals at each traffic
            intensity, for each worker count; measure the service rate mu (from busy time) and the mean queue; print the
            table beside M/M/c's Lq for the measured lambda and mu (the JIRIAF paper's table) and write it as CSV, the
            twin's observation model ('streams twin replay --calibration FILE').
            """)
        {
            workUs, workers, rhos, seconds, output, plot,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var plan = new CalibrationPlan(parse.GetValue(workUs), parse.GetValue(workers)!, parse.GetValue(rhos)!, parse.GetValue(seconds));
            if (plan.WorkUs <= 0 || plan.Seconds <= 0 || plan.Workers.Count == 0 || plan.Workers.Any(w => w < 1) || plan.Rhos.Any(r => r is <= 0 or >= 1))
            {
                return CliErrors.Usage("--work-us and --seconds must be positive, --workers at least 1, every --rho in (0, 1)");
            }

            Console.WriteLine($"# twin calibration: cpu-burn, exponential service of mean {plan.WorkUs} us, Poisson arrivals, {plan.Seconds} s per point, {Environment.ProcessorCount} cores");
            Console.WriteLine($"{"workers",7} {"rho",6} {"lambda/s",10} {"mu/s",9} {"Lq obs",9} {"Lq M/M/c",9} {"obs/calc",8}");
            var rows = await CalibrationExperiment.RunAsync(plan, r => Console.WriteLine(
                $"{r.Workers,7} {r.Rho,6:0.00} {r.Lambda,10:0.0} {r.Mu,9:0.0} {r.ObservedLq,9:0.00} {r.TheoryLq,9:0.00} {(r.TheoryLq > 0 ? r.ObservedLq / r.TheoryLq : double.NaN),8:0.00}"), ct).ConfigureAwait(false);
            parse.GetValue(output)!.Directory?.Create();
            var path = parse.GetValue(output)!.FullName;
            Calibration.Write(path, rows);
            var ratios = rows.Where(r => r.TheoryLq > 0.05).Select(r => r.ObservedLq / r.TheoryLq).OrderBy(v => v).ToList();
            if (ratios.Count > 0) Console.WriteLine($"# observed / M/M/c Lq where Lq > 0.05: median {ratios[ratios.Count / 2]:0.00}, range {ratios[0]:0.00} .. {ratios[^1]:0.00} over {ratios.Count} points");
            Console.WriteLine($"# table: {path}");
            parse.GetValue(plot)!.Directory?.Create();
            var (png, svg) = PerformancePlots.Calibration(parse.GetValue(plot)!.FullName, [.. rows.Select(r => (r.Workers, r.TheoryLq, r.ObservedLq))]);
            Console.WriteLine($"# plot: {png}, {svg}");
            return 0;
        });
        return cmd;
    }

    private static Command Synth()
    {
        var output = new Option<FileInfo>("--output", "-o") { Description = "The trace as CSV (t,queue,workers,arrivals,true_load).", DefaultValueFactory = _ => new FileInfo("out/twin/trace.csv"), HelpName = "FILE" };
        var workers = new Option<int>("--workers") { Description = "Servers of the simulated M/M/c queue.", DefaultValueFactory = _ => 16, HelpName = "N" }.Range(1, 100_000);
        var mu = new Option<double>("--mu") { Description = "Service rate of one server, events/s.", DefaultValueFactory = _ => 100, HelpName = "MU" }.Positive();
        var rhos = new Option<double[]>("--rho") { Description = "Traffic intensities the load moves between (one level at a time).", DefaultValueFactory = _ => [0.25, 0.5, 0.75, 1.25], AllowMultipleArgumentsPerToken = true, HelpName = "RHO" }.Must(v => v is { Length: > 0 } && v.All(r => r >= 0), "one or more values of 0 or more");
        var steps = new Option<int>("--steps") { Description = "Steps of 1 s.", DefaultValueFactory = _ => 1800, HelpName = "N" }.Range(1, 10_000_000);
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "Seed of the load profile and the queue." };
        var cmd = new Command("synth", "Simulate an M/M/c queue whose load moves between levels (held 40-120 s each) and write the trace with its true load, for 'streams twin replay'.")
        {
            output, workers, mu, rhos, steps, seed,
        };
        cmd.SetAction(parse =>
        {
            var c = parse.GetValue(workers);
            var profile = TwinTrace.Profile([.. parse.GetValue(rhos)!.Select(r => r * c)], parse.GetValue(steps), parse.GetValue(seed));
            var trace = TwinTrace.Simulate(profile, c, parse.GetValue(mu), 1, parse.GetValue(seed));
            parse.GetValue(output)!.Directory?.Create();
            TwinTrace.Write(parse.GetValue(output)!.FullName, trace);
            Console.WriteLine($"{trace.Count} steps written to {parse.GetValue(output)!.FullName} (peak queue {trace.Max(s => s.Queue):0})");
            return 0;
        });
        return cmd;
    }

    private static Command Replay()
    {
        var trace = new Argument<FileInfo>("TRACE") { Description = "CSV with the columns t,queue,workers[,arrivals[,true_load]] named in a header row (as 'streams twin synth' writes)." };
        var calibration = new Option<FileInfo?>("--calibration") { Description = "Observation model from a 'streams twin calibrate' table (default: M/M/c theory).", HelpName = "FILE" };
        var mu = new Option<double?>("--mu") { Description = "Service rate of one worker, events/s (default: the calibration's mean, else 100).", HelpName = "MU" }.PositiveIfGiven();
        var controls = new Option<int[]>("--controls") { Description = "The twin's controls (worker counts).", DefaultValueFactory = _ => [16, 32], AllowMultipleArgumentsPerToken = true, HelpName = "N" }.AllPositive();
        var states = new Option<int>("--states") { Description = "Load states (bins), from 0 to --max-load.", DefaultValueFactory = _ => 11, HelpName = "N" }.Range(2, 1000);
        var maxLoad = new Option<double?>("--max-load") { Description = "Highest load state, in busy servers (default 1.25 x the largest control; with 11 states and controls 16/32: steps of 25 % of 16).", HelpName = "ERLANGS" }.PositiveIfGiven();
        var horizon = new Option<int>("--horizon") { Description = "Steps ahead of the prediction drawn.", DefaultValueFactory = _ => 10, HelpName = "K" }.Range(0, 10_000);
        var target = new Option<double>("--queue-target") { Description = "Queue target of the recommendation's cost.", DefaultValueFactory = _ => 50, HelpName = "EVENTS" }.Positive();
        var plot = new Option<FileInfo>("--plot") { Description = "The figure (PNG and SVG): truth, estimate, prediction with bands; queue; controls.", DefaultValueFactory = _ => new FileInfo("out/twin/replay.png"), HelpName = "FILE" };
        var json = new Option<FileInfo?>("--json") { Description = "Write the figures (accuracy, delays) as JSON.", HelpName = "FILE" };
        var cmd = new Command("replay", """
            Run the twin's filter over a recorded trace, on the queue alone (as the JIRIAF paper) and on the queue and the
            measured arrivals (ours), and draw the paper's Figure 5: ground truth, estimate, prediction --horizon steps
            ahead, shaded uncertainty. With a true load in the trace it reports the share of steps whose most likely state
            is the true one and the delay (steps) to follow a rising and a falling load.
            """)
        {
            trace, calibration, mu, controls, states, maxLoad, horizon, target, plot, json,
        };
        cmd.SetAction(parse =>
        {
            IReadOnlyList<TraceStep> steps;
            IReadOnlyList<CalibrationRow>? table = null;
            try
            {
                steps = TwinTrace.Read(parse.GetValue(trace)!.FullName);
                if (parse.GetValue(calibration) is { } cal) table = Calibration.Read(cal.FullName);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
            {
                return CliErrors.Fail($"{(e as FileNotFoundException)?.FileName ?? "trace or calibration"}: {Engine.Spec.PipelineLoader.ReadError(e)}");
            }
            catch (Exception e) when (e is FormatException or IOException)
            {
                return CliErrors.Fail(e.Message);
            }

            var cs = parse.GetValue(controls)!;
            var max = parse.GetValue(maxLoad) ?? (1.25 * cs.Max());
            var m = parse.GetValue(mu) ?? table?.Where(r => r.Mu > 0).Select(r => r.Mu).DefaultIfEmpty(100).Average() ?? 100;
            var model = table is null ? TwinModel.FromTheory(parse.GetValue(states), max, cs) : Calibration.Learn(table, parse.GetValue(states), max, cs);
            var policy = new TwinPolicy(model, new TwinCosts(QueueTarget: parse.GetValue(target)));
            var k = parse.GetValue(horizon);
            var ours = TwinReplay.Run(model, policy, steps, m, useArrivals: true, k);
            var paper = TwinReplay.Run(model, policy, steps, m, useArrivals: false, k);
            Console.WriteLine($"# twin replay: {steps.Count} steps, {model.States} load states 0..{max:0.#} Erlangs, controls {string.Join('/', cs)}, mu {m:0.#}/s, observation model {(table is null ? "M/M/c theory" : "calibrated")}");
            Console.WriteLine($"{"filter",-20} {"state correct",13} {"rise delay",10} {"fall delay",10}");
            foreach (var r in new[] { paper, ours })
            {
                Console.WriteLine($"{r.Mode,-20} {(r.Accuracy is { } a ? $"{a:P1}" : "-"),13} {Steps(r.RiseDelay),10} {Steps(r.FallDelay),10}");
            }

            parse.GetValue(plot)!.Directory?.Create();
            var (png, svg) = TwinReplay.Plot(parse.GetValue(plot)!.FullName, steps, ours, paper);
            Console.WriteLine($"# figure: {png}, {svg} (panels: ours, paper's queue-only, queue, controls)");
            if (parse.GetValue(json) is { } j)
            {
                j.Directory?.Create();
                File.WriteAllText(j.FullName, JsonSerializer.Serialize(new[] { paper, ours }.Select(r => new { r.Mode, r.Accuracy, r.RiseDelay, r.FallDelay, r.Rises, r.Falls, r.Horizon }), Indented));
            }

            return 0;
        });
        return cmd;
    }

    private static string Steps(double? v) => v is { } d ? d.ToString("0.0", CultureInfo.InvariantCulture) : "-";
}

using System.CommandLine;
using System.Globalization;
using Streams.Cli.Bench;
using Streams.Reporting;

namespace Streams.Cli.Commands;

/// <summary><c>streams bench</c>: ERSAP-style thread scaling of a CPU-bound stage.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var workUs = new Option<double>("--work-us") { Description = "CPU work per event in microseconds.", DefaultValueFactory = _ => 200, HelpName = "W" }.NotNegative();
        var maxThreads = new Option<int>("--max-threads") { Description = "Measure 1..N worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount, HelpName = "N" }.Range(1, 4096);
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds per point (after a 1 s warm-up).", DefaultValueFactory = _ => 5, HelpName = "S" }.Must(v => v >= 0.5, "0.5 or more");
        var batch = new Option<int>("--batch") { Description = "Events per batch.", DefaultValueFactory = _ => 16, HelpName = "B" }.Range(1, 1 << 20);
        var repeats = new Option<int>("--repeats") { Description = "Runs per point (avg_rate is their mean, rms their spread).", DefaultValueFactory = _ => 3 }.Range(1, 1000);
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Also write the rows to this file.", HelpName = "FILE" };
        var plot = new Option<FileInfo?>("--plot") { Description = "Write a plot of rate against threads, with the ideal line, as SVG and PNG (FILE.svg and FILE.png).", HelpName = "FILE.svg" };
        var cmd = new Command("bench", "Thread scaling: synthetic -> cpu-burn (1..N workers) -> count; prints 'nthreads avg_rate rms' rows (events/s).")
        {
            workUs, maxThreads, seconds, batch, repeats, output, plot,
        };
        cmd.SetAction(parse =>
        {
            var w = parse.GetValue(workUs);
            var n = parse.GetValue(maxThreads);
            var s = parse.GetValue(seconds);
            var b = parse.GetValue(batch);
            var r = parse.GetValue(repeats);
            if (w < 0 || n < 1 || s <= 0 || b < 1 || r < 1)
            {
                return CliErrors.Usage("need --work-us >= 0, --max-threads >= 1, --seconds > 0, --batch >= 1, --repeats >= 1");
            }

            return Run(w, n, s, b, r, parse.GetValue(output)?.FullName, parse.GetValue(plot)?.FullName);
        });
        return cmd;
    }

    private static int Run(double workUs, int maxThreads, double seconds, int batch, int repeats, string? output, string? plot)
    {
        var inv = CultureInfo.InvariantCulture;
        var bench = new ScalingBench(workUs, batch, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(1), repeats);
        var header = string.Create(inv, $"# streams bench: work {workUs} us/event, batch {batch}, {seconds} s x {repeats} per point, {Environment.ProcessorCount} cores\n# nthreads avg_rate rms");
        Console.WriteLine(header);
        var lines = new List<string> { header };
        var points = new List<ScalingPoint>();
        for (var t = 1; t <= maxThreads; t++)
        {
            var p = bench.Measure(t);
            points.Add(p);
            var line = string.Create(inv, $"{p.Threads} {p.AverageRate:0.0} {p.Rms:0.0}");
            Console.WriteLine(line);
            lines.Add(line);
        }

        if (points.Count > 1)
        {
            var speedups = string.Join(", ", points.Skip(1).Select(p => string.Create(inv, $"{p.Threads}: {p.AverageRate / points[0].AverageRate:0.00}x")));
            var note = $"# speed-up over 1 thread: {speedups}";
            Console.WriteLine(note);
            lines.Add(note);
        }

        if (output is not null) File.WriteAllLines(output, lines);
        if (plot is not null)
        {
            var (png, svg) = PerformancePlots.Scaling(plot, string.Create(inv, $"Thread scaling: cpu-burn {workUs} us/event, batch {batch}, {Environment.ProcessorCount} cores"),
                [.. points.Select(p => p.Threads)], [.. points.Select(p => p.AverageRate)], [.. points.Select(p => p.Rms)]);
            Console.WriteLine($"# plot: {png}, {svg}");
        }
        return 0;
    }
}

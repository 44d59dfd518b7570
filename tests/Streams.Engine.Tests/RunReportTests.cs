using System.Text.RegularExpressions;
using SkiaSharp;
using Streams.Reporting;
using Streams.Reporting.Report;

namespace Streams.Engine.Tests;

/// <summary>
/// The HTML run report: self-contained (no script, nothing fetched, images as data URIs that decode), every part the
/// summary has in its place (books, stages, physics with its plot, the run over time with numbered decisions, EJFAT
/// losses, nodes and sites, unknown sections, failures), and the bounded timeline it draws from.
/// </summary>
public sealed partial class RunReportTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static string Summary(bool balanced = true, string? dppPng = null) => $$$"""
        {
          "pipeline": "clas12-node",
          "durationSeconds": 12.5,
          "exitReason": "ok",
          "events": {"received": 1000, "processed": {{{(balanced ? 990 : 900)}}}, "failed": 4, "discarded": 6, "inFlight": 0},
          "stages": [{"name": "receiver", "kind": "source", "eventsIn": 1000, "eventsOut": 1000, "failed": 0, "discarded": 0, "maxWorkers": 1, "operator": "ejfat-receiver"},
                     {"name": "tracking", "kind": "processor", "eventsIn": 1000, "eventsOut": 990, "failed": 4, "discarded": 6, "maxWorkers": 4, "operator": "clas12-dc-tracking"}],
          "errors": [{"stage": "tracking", "message": "no hits in superlayer 3", "count": 4}],
          "ok": true, "exitCode": 0, "stopReason": "end of input",
          "outputFailures": [], "sourceFailures": [],
          "validation": {"events": 990, "tracksInAcceptance": 1800, "tracksReconstructed": 1790, "matched": 1780, "efficiency": 0.9889, "fakeRate": 0.0056,
                         "momentumResolution": 0.0014, "momentumBias": 0.00001,
                         "momentumResolutionFit": {"mean": 0.00001, "meanError": 0.000002, "sigma": 0.00079, "sigmaError": 0.000004, "entries": 1780, "underflow": 3, "overflow": 2},
                         "plots": [{{{(dppPng is null ? "" : System.Text.Json.JsonSerializer.Serialize(dppPng))}}}]},
          "ejfat": {"packets": 1000, "eventsLost": {"timeout": 2, "memoryCap": 0, "queueFull": 1, "incompleteAtStop": 0}},
          "nodes": {"provider": "local", "requested": 3, "joined": 2, "released": 1, "failed": 1},
          "sites": [{"name": "farm", "requested": 2, "joined": 2, "joinP50Seconds": 4.5}, {"name": "hpc", "requested": 1, "joined": 0, "joinP50Seconds": 120}],
          "coda-decode": {"banks": 12345, "malformed": 0}
        }
        """;

    [Fact]
    public void The_report_is_one_self_contained_file_with_every_part_of_the_summary()
    {
        var png = Path.Combine(_tmp.Path, "dpp.png");
        PhysicsPlots.Resolution(png, Path.Combine(_tmp.Path, "dpp.csv"), [.. Enumerable.Range(0, 500).Select(i => ((i % 21) - 10) * 1e-4)]);
        var timeline = new RunTimeline();
        for (var t = 0; t < 20; t++) timeline.Sample(t, [("events/s", "tracking", 100 * t), ("queue depth (events)", "tracking", t % 5)]);
        timeline.Mark(5, "tracking", "tracking: workers 1 -> 3 (queue-model: queue 800 over target 300)");
        timeline.Mark(15, "tracking", "tracking: workers 3 -> 2 (queue-model: queue empty for 5 s)");

        var path = HtmlReport.Write(Path.Combine(_tmp.Path, "report"), Summary(dppPng: png), timeline, DateTimeOffset.UnixEpoch);
        Assert.Equal(HtmlReport.FileName, Path.GetFileName(path));
        var html = File.ReadAllText(path);

        // Self-contained: nothing to fetch, nothing to run.
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*""(?!data:)", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        var images = DataImage().Matches(html).Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToList();
        Assert.Equal(2, images.Count); // the dp/p plot and the run over time
        foreach (var bytes in images)
        {
            using var bitmap = SKBitmap.Decode(bytes);
            Assert.True(bitmap is { Width: > 500, Height: > 300 }, "an embedded image does not decode");
        }

        Assert.Equal(["Events", "Stages", "Physics", "Over time", "EJFAT receiving", "Nodes", "Sites", "coda-decode", "Failures"],
            Heading().Matches(html).Select(m => m.Groups[1].Value));
        Assert.Contains("The books balance", html, StringComparison.Ordinal);
        Assert.Contains("0.00079 ± 4E-06", html, StringComparison.Ordinal);
        Assert.Contains("clas12-dc-tracking", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"n\">2</td><td class=\"n\">15.0</td><td>tracking</td><td>tracking: workers 3 -&gt; 2 (queue-model: queue empty for 5 s)</td>", html, StringComparison.Ordinal);
        Assert.Contains("<th>queue full</th><td>1</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>hpc</td>", html, StringComparison.Ordinal);
        Assert.Contains("12,345", html, StringComparison.Ordinal);
        Assert.Contains("no hits in superlayer 3", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Books_that_do_not_balance_and_a_missing_plot_are_said_plainly()
    {
        var html = HtmlReport.Build(Summary(balanced: false, dppPng: Path.Combine(_tmp.Path, "gone.png")), null, DateTimeOffset.UnixEpoch);
        Assert.Contains("The books do not balance", html, StringComparison.Ordinal);
        Assert.Contains("plot missing: ", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<h2>Over time</h2>", html, StringComparison.Ordinal); // no timeline, no empty figure
    }

    [Fact]
    public void A_long_run_keeps_its_whole_span_in_bounded_memory()
    {
        var timeline = new RunTimeline(maxSamples: 100);
        for (var t = 0; t < 10_000; t++) timeline.Sample(t, [("events/s", "a", t), ("events/s", "b", 2 * t)]);
        var seconds = timeline.Seconds;
        Assert.InRange(seconds.Count, 50, 100);
        Assert.Equal(0, seconds[0]);
        Assert.True(seconds[^1] > 9_800, $"last sample at {seconds[^1]}");
        Assert.True(seconds.Zip(seconds.Skip(1)).All(p => p.Second > p.First), "samples out of order");
        var series = timeline.Series("events/s");
        Assert.Equal(["a", "b"], series.Select(s => s.Label));
        Assert.Equal(seconds, series[0].Values); // each value stays with its time
        Assert.Equal(seconds.Select(x => 2 * x), series[1].Values);
    }

    [Fact]
    public void A_series_that_starts_late_has_no_points_before_it()
    {
        var timeline = new RunTimeline();
        timeline.Sample(0, [("nodes", "ready", 0)]);
        timeline.Sample(1, [("nodes", "ready", 1), ("nodes", "booting", 2)]);
        var booting = timeline.Series("nodes").Single(s => s.Label == "booting").Values;
        Assert.True(double.IsNaN(booting[0]));
        Assert.Equal(2, booting[1]);
    }

    [GeneratedRegex("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"")]
    private static partial Regex DataImage();

    [GeneratedRegex("<h2>([^<]*)</h2>")]
    private static partial Regex Heading();
}

using Spectre.Console;
using Spectre.Console.Rendering;
using Streams.Cli.Display;
using Streams.Engine.Runtime;

namespace Streams.Integration.Tests;

/// <summary>
/// The terminal view drawn on an 80x24 console: the title stays, no cell wraps and no line passes the width, columns
/// go by priority when the numbers are wide; log lines are printed once after the view closes; the summary carries
/// the physics result as a table.
/// </summary>
public sealed class TerminalViewTests
{
    private static string Draw(IRenderable view, int width)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        console.Write(view);
        return writer.ToString();
    }

    private static PipelineSnapshot Snapshot(long big)
    {
        string[] names = ["daq", "receiver", "segmenter-with-a-long-name", "decode", "tracking", "calorimeter", "validation", "hipo"];
        var stages = names.Select((n, i) => new StageSnapshot(n, i < 2 ? "source" : i == 2 ? "sink" : "processor", big + i, big + i, i == 4 ? 12 : 0, 0,
            i < 2 ? 0 : 1000, i < 2 ? 0 : 1024, 3, 16, 123_456.7, 0.55)).ToList();
        return new PipelineSnapshot(TimeSpan.FromSeconds(3600.5), 2 * big, big, 12, 0, 5, 123_456.7, stages);
    }

    [Theory]
    [InlineData(1_234L)]
    [InlineData(123_456_789_012L)] // a long run: counts of 15 characters push columns out, cells still never wrap
    public void At_80x24_the_title_stays_and_no_cell_wraps(long counts)
    {
        var log = Enumerable.Range(1, 10).Select(i => $"12:00:{i:00}.000 info [tracking] line {i}: long enough to pass the width of an 80 column terminal, cut at it").ToList();
        var text = Draw(LiveTable.Render(Snapshot(counts), "clas12-local-with-a-long-pipeline-name", "http://127.0.0.1:9464/metrics", log, 80, 24), 80);
        var lines = text.TrimEnd('\n').Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        Assert.True(lines.Count <= 24, $"{lines.Count} lines:\n{text}");
        Assert.StartsWith("clas12-local-with-a-long-pipeline-name  3600.5 s", lines[0], StringComparison.Ordinal);
        // One line per stage, each with its whole (or ellipsised) name and its rate: nothing wrapped onto a next line.
        foreach (var name in new[] { "daq", "receiver", "segmenter-with-…", "decode", "tracking", "calorimeter", "validation", "hipo" })
        {
            Assert.Single(lines, l => l.StartsWith($"│ {name} ", StringComparison.Ordinal) && l.Contains("123.5k", StringComparison.Ordinal));
        }

        Assert.Contains(lines, l => l.StartsWith("in ", StringComparison.Ordinal) && l.Contains("ev/s", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("12:00:10.000 info [tracking] line 10: ", StringComparison.Ordinal)); // the newest log line shows
        var header = lines.Single(l => l.StartsWith("│ stage ", StringComparison.Ordinal));
        foreach (var kept in new[] { "out", "ev/s" }) Assert.Contains(kept, header, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wide_terminal_shows_every_column()
    {
        var header = Draw(LiveTable.Render(Snapshot(1_234), "p", null, [], 160, 50), 160).Split('\n').Single(l => l.StartsWith("│ stage ", StringComparison.Ordinal));
        foreach (var c in new[] { "kind", "in", "out", "fail", "disc", "ev/s", "queue", "thr", "busy" }) Assert.Contains($" {c} ", header, StringComparison.Ordinal);
    }

    [Fact]
    public void Log_lines_are_printed_once_when_the_view_closes_and_later_ones_pass_straight_on()
    {
        var tail = new LogTail();
        tail.WriteLine("first");
        tail.WriteLine("second");
        Assert.Equal(["second"], tail.Last(1));
        var stderr = new StringWriter();
        tail.Release(stderr);
        tail.WriteLine("after the view");
        Assert.Equal($"first{Environment.NewLine}second{Environment.NewLine}after the view\n", stderr.ToString().Replace("\r", "", StringComparison.Ordinal));
        Assert.Empty(tail.Last(5));
    }

    [Fact]
    public void The_final_summary_carries_the_physics_result_as_a_table()
    {
        var summary = new PipelineSummary("clas12-local", 10, "ok", new EventTotals(10, 10, 0, 0, 0), [], [])
        {
            Sections = new Dictionary<string, object>
            {
                ["validation"] = new { events = 10_000, tracksInAcceptance = 19_000, efficiency = 0.9996, fakeRate = 0.0001, momentumResolution = 0.0014, momentumBias = 0.00001,
                    momentumResolutionFit = new { sigma = 0.00079, sigmaError = 0.000004 } },
            },
        };
        var table = SummaryPrinter.PhysicsTable(summary);
        Assert.NotNull(table);
        var text = Draw(table, 80);
        Assert.All(text.Split('\n'), l => Assert.True(l.TrimEnd('\r').Length <= 80, l));
        foreach (var part in new[] { "physics", "10,000", "0.9996±0.0001", "0.0001", "0.0790±0.0004%", "+0.001%" }) Assert.Contains(part, text, StringComparison.Ordinal);
        Assert.Null(SummaryPrinter.PhysicsTable(summary with { Sections = null }));
    }
}

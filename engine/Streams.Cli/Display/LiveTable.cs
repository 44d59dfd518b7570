using Spectre.Console;
using Spectre.Console.Rendering;
using Streams.Engine.Runtime;

namespace Streams.Cli.Display;

/// <summary>
/// The live view on a terminal: a title line, a row per stage, a line of totals and the latest log lines, all fitted
/// to the terminal: no cell wraps (columns are dropped by priority when the terminal is narrow, names are shortened
/// with an ellipsis) and every line is cut at the width, so at 80x24 the title stays and nothing scrolls.
/// </summary>
internal static class LiveTable
{
    /// <summary>Widest a stage name is shown (longer names end in an ellipsis).</summary>
    private const int NameWidth = 16;

    /// <summary>A column: its header, whether numbers (right-aligned), its priority (kept longest: lowest), and its cell per stage.</summary>
    private sealed record Column(string Header, bool Right, int Priority, Func<StageSnapshot, string> Cell, Func<StageSnapshot, string>? Markup = null);

    private static readonly Column[] Columns =
    [
        new("stage", false, 0, st => Shorten(st.Name, NameWidth)),
        new("kind", false, 9, st => st.Kind switch { "processor" => "proc", "source" => "src", var k => k }),
        new("in", true, 7, st => Format.Count(st.EventsIn)),
        new("out", true, 2, st => Format.Count(st.EventsOut)),
        new("fail", true, 3, st => Format.Count(st.Failed), st => st.Failed == 0 ? "0" : $"[red]{Format.Count(st.Failed)}[/]"),
        new("disc", true, 8, st => Format.Count(st.Discarded), st => st.Discarded == 0 ? "0" : $"[yellow]{Format.Count(st.Discarded)}[/]"),
        new("ev/s", true, 1, st => Format.Rate(st.EventsPerSecond)),
        new("queue", true, 4, st => st.QueueCapacity == 0 ? "-" : $"{st.QueueDepth}/{st.QueueCapacity}"),
        new("thr", true, 5, st => $"{st.Threads}/{st.MaxThreads}"),
        new("busy", true, 6, st => st.Kind == "source" ? "-" : Format.Percent(st.BusyFraction)),
    ];

    /// <summary>The view for a terminal of <paramref name="width"/> x <paramref name="height"/> characters.</summary>
    public static IRenderable Render(PipelineSnapshot? s, string pipeline, string? metricsUrl, IReadOnlyList<string> recentLog, int width = 80, int height = 24)
    {
        width = Math.Max(width, 40);
        var stages = s?.Stages ?? [];
        var shown = Fit(stages, width);
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var c in shown)
        {
            var column = new TableColumn(c.Header).NoWrap();
            table.AddColumn(c.Right ? column.RightAligned() : column);
        }

        foreach (var st in stages) table.AddRow([.. shown.Select(c => c.Markup?.Invoke(st) ?? Markup.Escape(c.Cell(st)))]);
        var title = $"{pipeline}  {s?.Elapsed.TotalSeconds ?? 0:0.0} s";
        if (metricsUrl is not null && title.Length + metricsUrl.Length + 2 <= width) title += "  " + metricsUrl;
        var totals = s is null ? "starting" :
            $"in {Format.Count(s.Received)}  done {Format.Count(s.Processed)} ({Format.Rate(s.ProcessedPerSecond)} ev/s)  failed {Format.Count(s.Failed)}  disc {Format.Count(s.Discarded)}  in flight {Format.Count(s.InFlight)}";
        // Title, the table (borders, header, rows), totals; what is left of the height shows the log.
        var logLines = Math.Max(0, Math.Min(recentLog.Count, height - 1 - (4 + stages.Count) - 1 - 1));
        var rows = new List<IRenderable>
        {
            new Markup($"[bold]{Markup.Escape(Shorten(title, width))}[/]"),
            table,
            new Text(Shorten(totals, width)),
        };
        foreach (var line in recentLog.Skip(recentLog.Count - logLines)) rows.Add(new Text(Shorten(line, width), new Style(Color.Grey)));
        return new Rows(rows);
    }

    /// <summary>The columns that fit in <paramref name="width"/>, most important first kept, in their usual order.</summary>
    private static List<Column> Fit(IReadOnlyList<StageSnapshot> stages, int width)
    {
        int Width(Column c) => Math.Max(c.Header.Length, stages.Select(st => c.Cell(st).Length).DefaultIfEmpty(0).Max());
        var kept = new HashSet<Column>();
        var used = 1; // the left border
        foreach (var c in Columns.OrderBy(c => c.Priority))
        {
            var need = Width(c) + 3; // one space of padding each side and the border after
            if (used + need > width) continue;
            used += need;
            kept.Add(c);
        }

        return [.. Columns.Where(kept.Contains)];
    }

    private static string Shorten(string text, int width) => text.Length <= width ? text : text[..Math.Max(0, width - 1)] + "…";
}

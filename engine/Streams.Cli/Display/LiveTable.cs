using Spectre.Console;
using Spectre.Console.Rendering;
using Streams.Engine.Runtime;

namespace Streams.Cli.Display;

/// <summary>The live view on a terminal: totals, a row per stage, and the latest log lines.</summary>
internal static class LiveTable
{
    public static IRenderable Render(PipelineSnapshot? s, string pipeline, string? metricsUrl, IReadOnlyList<string> recentLog)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.Title = new TableTitle($"[bold]{Markup.Escape(pipeline)}[/]  {s?.Elapsed.TotalSeconds ?? 0:0.0} s" + (metricsUrl is null ? "" : $"  [dim]{Markup.Escape(metricsUrl)}[/]"));
        table.AddColumns("stage", "kind", "in", "out", "failed", "discarded", "ev/s", "queue", "workers", "busy");
        foreach (var c in table.Columns.Skip(2)) c.RightAligned();
        if (s is not null)
        {
            foreach (var st in s.Stages)
            {
                table.AddRow(
                    Markup.Escape(st.Name),
                    st.Kind,
                    Format.Count(st.EventsIn),
                    Format.Count(st.EventsOut),
                    st.Failed == 0 ? "0" : $"[red]{Format.Count(st.Failed)}[/]",
                    st.Discarded == 0 ? "0" : $"[yellow]{Format.Count(st.Discarded)}[/]",
                    Format.Rate(st.EventsPerSecond),
                    st.QueueCapacity == 0 ? "-" : $"{st.QueueDepth}/{st.QueueCapacity}",
                    $"{st.Threads}/{st.MaxThreads}",
                    st.Kind == "source" ? "-" : Format.Percent(st.BusyFraction));
            }

            table.Caption = new TableTitle(
                $"received {Format.Count(s.Received)}  processed {Format.Count(s.Processed)} ({Format.Rate(s.ProcessedPerSecond)} ev/s)  failed {Format.Count(s.Failed)}  discarded {Format.Count(s.Discarded)}  in flight {Format.Count(s.InFlight)}");
        }

        var log = recentLog.Count == 0 ? new Text("") : new Text(string.Join('\n', recentLog), new Style(Color.Grey));
        return new Rows(table, log);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Streams.Reporting.Report;

/// <summary>
/// The run report: one self-contained HTML file (styles inline, images as data URIs, no script and nothing fetched:
/// nodes and these machines have no internet) with the verdict, the books, per-stage counts, the physics figures, the
/// run over time (events/s, queue depth, worker threads and nodes per sample, controller decisions marked and listed
/// with their reasons), EJFAT losses by reason, nodes, sites and worker processes, every other summary section, and
/// the failures.
/// </summary>
public static class HtmlReport
{
    /// <summary>The report's file name in its folder.</summary>
    public const string FileName = "report.html";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Sections the report draws in their own place; the others are listed at the end as they are.</summary>
    private static readonly string[] Placed = ["validation", "ejfat", "loadBalancer", "nodes", "sites", "workers"];

    private static readonly string[] Known = ["pipeline", "durationSeconds", "exitReason", "events", "stages", "errors", "ok", "exitCode", "stopReason", "outputFailures", "sourceFailures"];

    /// <summary>Writes <see cref="FileName"/> into <paramref name="directory"/> (whole: a temporary file renamed); returns its path.</summary>
    public static string Write(string directory, string summaryJson, RunTimeline? timeline, DateTimeOffset written)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var temp = path + ".tmp";
        File.WriteAllText(temp, Build(summaryJson, timeline, written));
        File.Move(temp, path, overwrite: true);
        return path;
    }

    /// <summary>The report's HTML for the summary <paramref name="summaryJson"/> (as <c>--summary-json</c> writes it).</summary>
    public static string Build(string summaryJson, RunTimeline? timeline, DateTimeOffset written)
    {
        using var doc = JsonDocument.Parse(summaryJson);
        var s = doc.RootElement;
        var name = Str(s, "pipeline") ?? "pipeline";
        var ok = !s.TryGetProperty("ok", out var okv) || okv.GetBoolean();
        var html = new StringBuilder(64 * 1024);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(JsonHtml.Escape($"{name}: Streams run report")).Append("</title><style>").Append(Style).Append("</style></head><body>");
        html.Append("<h1>").Append(JsonHtml.Escape(name)).Append(" <span class=\"").Append(ok ? "ok" : "bad").Append("\">")
            .Append(ok ? "ok" : "FAILED").Append("</span></h1>");
        html.Append("<p class=\"meta\">").Append(JsonHtml.Escape(string.Create(Inv,
            $"{Num(s, "durationSeconds"):0.00} s; {(ok ? "stopped: " + Str(s, "stopReason") : $"exit status {Num(s, "exitCode")}: {Str(s, "exitReason")}")}; written {written:yyyy-MM-dd HH:mm:ss} UTC on {Environment.MachineName}")))
            .Append("</p>");

        Section(html, "Events", () => Events(html, s));
        if (s.TryGetProperty("stages", out var stages)) Section(html, "Stages", () => JsonHtml.Rows(html, [.. stages.EnumerateArray()]));
        if (Sec(s, "validation") is { } validation) Section(html, "Physics", () => Physics(html, validation));
        if (timeline is not null && timeline.Seconds.Count >= 2) Section(html, "Over time", () => OverTime(html, timeline));
        if (Sec(s, "ejfat") is { } ejfat) Section(html, "EJFAT receiving", () => Ejfat(html, ejfat));
        if (Sec(s, "loadBalancer") is { } lb) Section(html, "Load balancer", () => JsonHtml.Write(html, lb));
        foreach (var (key, title) in new[] { ("nodes", "Nodes"), ("sites", "Sites"), ("workers", "Worker processes") })
        {
            if (Sec(s, key) is { } section) Section(html, title, () => JsonHtml.Write(html, section));
        }

        foreach (var p in s.EnumerateObject().Where(p => !Known.Contains(p.Name) && !Placed.Contains(p.Name)))
        {
            Section(html, p.Name, () => JsonHtml.Write(html, p.Value));
        }

        Section(html, "Failures", () => Failures(html, s));
        html.Append("<p class=\"meta\">Written by streams from the run's summary (the same numbers as --summary-json).</p></body></html>");
        return html.ToString();
    }

    private static void Events(StringBuilder html, JsonElement s)
    {
        if (!s.TryGetProperty("events", out var e)) return;
        var duration = Math.Max(Num(s, "durationSeconds"), 1e-9);
        html.Append("<table class=\"rows\"><tr><th>received</th><th>processed</th><th>failed</th><th>discarded</th><th>in flight</th><th>processed/s</th></tr><tr>");
        foreach (var k in new[] { "received", "processed", "failed", "discarded", "inFlight" }) html.Append("<td class=\"n\">").Append(JsonHtml.Scalar(e.GetProperty(k))).Append("</td>");
        html.Append("<td class=\"n\">").Append(JsonHtml.Number(Math.Round(e.GetProperty("processed").GetDouble() / duration))).Append("</td></tr></table>");
        var balanced = e.GetProperty("received").GetInt64() == e.GetProperty("processed").GetInt64() + e.GetProperty("failed").GetInt64() + e.GetProperty("discarded").GetInt64() + e.GetProperty("inFlight").GetInt64();
        html.Append("<p>").Append(balanced ? "The books balance: received = processed + failed + discarded + in flight." : "<span class=\"bad\">The books do not balance.</span>").Append("</p>");
    }

    private static void Physics(StringBuilder html, JsonElement v)
    {
        html.Append("<table class=\"kv\">");
        Row("events validated", v, "events");
        Row("tracks in acceptance", v, "tracksInAcceptance");
        Row("tracks reconstructed", v, "tracksReconstructed");
        Row("matched", v, "matched");
        Row("efficiency", v, "efficiency");
        Row("fake rate", v, "fakeRate");
        Row("σ(dp/p), rms", v, "momentumResolution");
        if (v.TryGetProperty("momentumResolutionFit", out var fit) && fit.ValueKind == JsonValueKind.Object)
        {
            html.Append("<tr><th>σ(dp/p), Gaussian fit</th><td>").Append(JsonHtml.Escape(string.Create(Inv,
                $"{fit.GetProperty("sigma").GetDouble():G4} ± {fit.GetProperty("sigmaError").GetDouble():G2} (mean {fit.GetProperty("mean").GetDouble():G3} ± {fit.GetProperty("meanError").GetDouble():G2}; {fit.GetProperty("entries").GetInt64()} entries, {fit.GetProperty("underflow").GetInt64()} under, {fit.GetProperty("overflow").GetInt64()} over)"))).Append("</td></tr>");
        }

        html.Append("</table>");
        if (!v.TryGetProperty("plots", out var plots)) return;
        foreach (var p in plots.EnumerateArray().Select(p => p.GetString()).Where(p => p is not null && p.EndsWith(".png", StringComparison.OrdinalIgnoreCase)))
        {
            var file = Path.GetFullPath(p!); // as the validation stage wrote it, relative to the run's folder
            if (File.Exists(file)) Image(html, File.ReadAllBytes(file), Path.GetFileName(file));
            else html.Append("<p class=\"bad\">plot missing: ").Append(JsonHtml.Escape(p)).Append("</p>");
        }

        void Row(string label, JsonElement o, string key)
        {
            if (o.TryGetProperty(key, out var x)) html.Append("<tr><th>").Append(JsonHtml.Escape(label)).Append("</th><td class=\"n\">").Append(JsonHtml.Scalar(x)).Append("</td></tr>");
        }
    }

    private static void OverTime(StringBuilder html, RunTimeline timeline)
    {
        var marks = timeline.Marks;
        var panels = timeline.Panels.Select(p => new Panel(p, p, [.. timeline.Series(p).Select((x, i) => new Series(x.Label, x.Values, i))])).ToList();
        Image(html, TimeSeriesPlots.StackedPng(timeline.Seconds, panels, "time since the start (s)", [.. marks.Select(m => m.Seconds)]), "the run over time");
        if (marks.Count == 0)
        {
            html.Append("<p>The controller changed nothing (or no controller ran).</p>");
            return;
        }

        html.Append("<h3>Controller decisions (dashed lines, numbered)</h3><table class=\"rows\"><tr><th>#</th><th>t (s)</th><th>stage</th><th>decision and reason</th></tr>");
        for (var i = 0; i < marks.Count; i++)
        {
            html.Append(string.Create(Inv, $"<tr><td class=\"n\">{i + 1}</td><td class=\"n\">{marks[i].Seconds:0.0}</td><td>")).Append(JsonHtml.Escape(marks[i].Stage))
                .Append("</td><td>").Append(JsonHtml.Escape(marks[i].Text)).Append("</td></tr>");
        }

        html.Append("</table>");
        if (timeline.MarksDropped > 0) html.Append(string.Create(Inv, $"<p>{timeline.MarksDropped} later decisions are not listed.</p>"));
    }

    private static void Ejfat(StringBuilder html, JsonElement ejfat)
    {
        if (ejfat.TryGetProperty("eventsLost", out var lost))
        {
            var total = lost.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).Sum(p => p.Value.GetInt64());
            html.Append("<h3>Events lost by reason</h3>").Append(total == 0 ? "<p class=\"ok\">none lost</p>" : "");
            JsonHtml.Write(html, lost);
        }

        html.Append("<h3>All receiver counters</h3>");
        JsonHtml.Write(html, ejfat);
    }

    private static void Failures(StringBuilder html, JsonElement s)
    {
        var any = false;
        foreach (var (key, title) in new[] { ("errors", "Failures by stage and message"), ("outputFailures", "Outputs that failed"), ("sourceFailures", "Sources that failed") })
        {
            if (!s.TryGetProperty(key, out var list) || list.GetArrayLength() == 0) continue;
            any = true;
            html.Append("<h3>").Append(title).Append("</h3>");
            JsonHtml.Rows(html, [.. list.EnumerateArray()]);
        }

        if (!any) html.Append("<p class=\"ok\">none</p>");
    }

    private static void Image(StringBuilder html, byte[] png, string alt) =>
        html.Append("<figure><img alt=\"").Append(JsonHtml.Escape(alt)).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append("\"></figure>");

    private static void Section(StringBuilder html, string title, Action body)
    {
        html.Append("<section><h2>").Append(JsonHtml.Escape(title)).Append("</h2>");
        body();
        html.Append("</section>");
    }

    private static JsonElement? Sec(JsonElement s, string key) => s.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static string? Str(JsonElement s, string key) => s.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double Num(JsonElement s, string key) => s.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;

    private const string Style = """
        body{font-family:"DejaVu Sans",Arial,sans-serif;margin:1.5em auto;max-width:1150px;color:#222;padding:0 1em}
        h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}h3{font-size:1.05em}
        .meta{color:#666}.dim{color:#999}.ok{color:#1a7f37;font-weight:bold}.bad{color:#c62828;font-weight:bold}
        table{border-collapse:collapse;margin:.4em 0}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
        th{background:#f5f5f5;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
        table.kv table.kv{margin:0}figure{margin:.8em 0}img{max-width:100%;border:1px solid #eee}
        """;
}

using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Streams.Engine.Runtime;

namespace Streams.Cli.Display;

/// <summary>
/// The end of a run on the terminal: the verdict, events per source (a chain whose second source receives what the
/// first sends counts each event once per source), the totals, per-stage counts, the physics figures when a
/// validation stage ran, failed outputs and the most frequent failures.
/// </summary>
internal static class SummaryPrinter
{
    public static void Print(PipelineSummary s, bool rich)
    {
        var e = s.Events;
        var inv = CultureInfo.InvariantCulture;
        var sources = string.Join(", ", s.Stages.Where(st => st.Kind == "source").Select(st => $"{Format.Count(st.EventsIn)} from {st.Name}{(st.Operator is { } op ? $" ({op})" : "")}"));
        var physics = Physics(s);
        var verdict = s.Ok ? $"ok ({s.StopReason})" : $"FAILED, exit status {s.ExitCode}: {s.ExitReason}";
        if (rich)
        {
            var t = new Table().Border(TableBorder.Simple);
            t.Title = new TableTitle($"[bold]{Markup.Escape(s.Pipeline)}[/]: {s.DurationSeconds:0.00} s, {(s.Ok ? "[green]" : "[red]")}{Markup.Escape(verdict)}[/]");
            t.AddColumns("received", "processed", "failed", "discarded", "in flight", "processed/s");
            t.AddRow(Format.Count(e.Received), Format.Count(e.Processed), Format.Count(e.Failed), Format.Count(e.Discarded), Format.Count(e.InFlight), Format.Rate(e.Processed / Math.Max(s.DurationSeconds, 1e-9)));
            if (sources.Length > 0) t.Caption = new TableTitle($"events entered: {Markup.Escape(sources)}");
            AnsiConsole.Write(t);
            if (PhysicsTable(s) is { } p) AnsiConsole.Write(p);
            foreach (var o in s.OutputFailures) AnsiConsole.MarkupLine($"[red]output failed[/] [[{Markup.Escape(o.Stage)}]] {o.Occurrences} x {Markup.Escape(o.Message)}{(o.Events > 0 ? $" ({o.Events} events)" : "")}");
            foreach (var err in s.Errors.Take(10)) AnsiConsole.MarkupLine($"[red]{err.Count} x[/] [[{Markup.Escape(err.Stage)}]] {Markup.Escape(err.Message)}");
            return;
        }

        Console.WriteLine(string.Create(inv, $"pipeline {s.Pipeline}: {s.DurationSeconds:0.00} s, {verdict}"));
        if (sources.Length > 0) Console.WriteLine($"events entered: {sources}");
        Console.WriteLine(string.Create(inv, $"events: received {e.Received}, processed {e.Processed}, failed {e.Failed}, discarded {e.Discarded}, in flight {e.InFlight} ({e.Processed / Math.Max(s.DurationSeconds, 1e-9):0} processed/s)"));
        foreach (var st in s.Stages)
        {
            Console.WriteLine(string.Create(inv, $"  {st.Name,-20} {st.Kind,-9} in {st.EventsIn,12} out {st.EventsOut,12} failed {st.Failed,8} discarded {st.Discarded,8} workers<= {st.MaxWorkers}"));
        }

        if (physics is not null) Console.WriteLine(physics);
        foreach (var o in s.OutputFailures) Console.WriteLine(string.Create(inv, $"  output failed [{o.Stage}] {o.Occurrences} x {o.Message}{(o.Events > 0 ? $" ({o.Events} events)" : "")}"));
        foreach (var err in s.Errors.Take(10)) Console.WriteLine(string.Create(inv, $"  {err.Count} x [{err.Stage}] {err.Message}"));
    }

    /// <summary>The validation stage's section with its events and efficiency; null without one.</summary>
    private static JsonElement? Validation(PipelineSummary s)
    {
        if (s.Sections?.GetValueOrDefault("validation") is not { } section) return null;
        var v = JsonSerializer.SerializeToElement(section);
        return v.ValueKind == JsonValueKind.Object && v.TryGetProperty("events", out _) && v.TryGetProperty("efficiency", out _) ? v : null;
    }

    /// <summary>The physics result as a table (events, efficiency with its binomial error, fake rate, sigma(dp/p) fitted); null without a validation stage.</summary>
    internal static Table? PhysicsTable(PipelineSummary s)
    {
        if (Validation(s) is not { } v) return null;
        var (events, eff) = (v.GetProperty("events"), v.GetProperty("efficiency"));
        double Get(JsonElement o, string key) => o.TryGetProperty(key, out var x) && x.ValueKind == JsonValueKind.Number ? x.GetDouble() : double.NaN;
        var inv = CultureInfo.InvariantCulture;
        var accepted = Get(v, "tracksInAcceptance");
        var e = eff.GetDouble();
        var effError = accepted > 0 ? Math.Sqrt(e * (1 - e) / accepted) : double.NaN;
        var t = new Table().Border(TableBorder.Simple);
        t.Title = new TableTitle("[bold]physics[/] (validation against the simulated truth)");
        t.AddColumns("events", "efficiency", "fake rate", "σ(dp/p) fit", "bias dp/p");
        foreach (var c in t.Columns) c.RightAligned().NoWrap();
        var sigma = v.TryGetProperty("momentumResolutionFit", out var fit) && fit.ValueKind == JsonValueKind.Object
            ? string.Create(inv, $"{Get(fit, "sigma") * 100:0.0000}±{Get(fit, "sigmaError") * 100:0.0000}%")
            : string.Create(inv, $"{Get(v, "momentumResolution") * 100:0.000}% rms");
        t.AddRow(Format.Count(events.GetInt64()), string.Create(inv, $"{e:0.0000}±{effError:0.0000}"), string.Create(inv, $"{Get(v, "fakeRate"):0.0000}"), sigma,
            string.Create(inv, $"{Get(v, "momentumBias") * 100:+0.000;-0.000}%"));
        return t;
    }

    /// <summary>The physics line of a run with a validation stage: events reconstructed, efficiency, fake rate, sigma(dp/p).</summary>
    internal static string? Physics(PipelineSummary s)
    {
        if (Validation(s) is not { } v) return null;
        var (events, eff) = (v.GetProperty("events"), v.GetProperty("efficiency"));
        var fake = v.TryGetProperty("fakeRate", out var f) ? f.GetDouble() : double.NaN;
        var sigma = v.TryGetProperty("momentumResolution", out var m) ? m.GetDouble() : double.NaN;
        return string.Create(CultureInfo.InvariantCulture, $"physics: {Format.Count(events.GetInt64())} events reconstructed and validated: efficiency {eff.GetDouble():0.0000}, fake rate {fake:0.0000}, sigma(dp/p) {sigma * 100:0.00}%");
    }
}

using ScottPlot;

namespace Streams.Reporting;

/// <summary>A line in a panel: its legend label, one value per x (NaN: no point), its colour index, dashed or solid.</summary>
public sealed record Series(string Label, IReadOnlyList<double> Values, int Colour, bool Dashed = false);

/// <summary>A shaded band between two curves (an uncertainty), in a light tint of colour <paramref name="Colour"/>.</summary>
public sealed record Band(string Label, IReadOnlyList<double> Low, IReadOnlyList<double> High, int Colour);

/// <summary>One panel of a stacked figure: its title, y axis title (with units), lines, bands and optional y range.</summary>
public sealed record Panel(string Title, string YTitle, IReadOnlyList<Series> Lines, IReadOnlyList<Band>? Bands = null, double? YMin = null, double? YMax = null);

/// <summary>Line series over time, stacked in panels on one shared x axis (controller simulation, twin replay).</summary>
public static class TimeSeriesPlots
{
    /// <summary>
    /// Draws <paramref name="panels"/> over <paramref name="x"/> (x title <paramref name="xTitle"/> under the last
    /// panel) and writes PNG and SVG for <paramref name="path"/>; returns the two paths.
    /// </summary>
    public static (string Png, string Svg) Stacked(string path, IReadOnlyList<double> x, IReadOnlyList<Panel> panels, string xTitle, int width = 1100, int panelHeight = 260)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(panels);
        var plots = panels.Select(p => Draw(x, p)).ToList();
        var xMin = x.Count > 0 ? x[0] : 0;
        var xMax = x.Count > 0 ? x[^1] : 1;
        return PlotFiles.SaveStacked(plots, path, xMin, xMax, xTitle, width, panelHeight);
    }

    /// <summary>
    /// The panels of <see cref="Stacked"/> as PNG bytes, with <paramref name="marks"/> (x positions) drawn as dashed
    /// vertical lines across every panel and numbered 1, 2, ... above the first (a report lists what each was).
    /// </summary>
    public static byte[] StackedPng(IReadOnlyList<double> x, IReadOnlyList<Panel> panels, string xTitle, IReadOnlyList<double>? marks = null, int width = 1100, int panelHeight = 220)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(panels);
        var plots = panels.Select((p, i) => Draw(x, p, marks ?? [], numbered: i == 0)).ToList();
        return PlotFiles.StackedPng(plots, x.Count > 0 ? x[0] : 0, x.Count > 0 ? x[^1] : 1, xTitle, width, panelHeight);
    }

    private static Plot Draw(IReadOnlyList<double> x, Panel panel, IReadOnlyList<double>? marks = null, bool numbered = false)
    {
        var plot = new Plot();
        for (var m = 0; m < (marks?.Count ?? 0); m++)
        {
            var line = plot.Add.VerticalLine(marks![m], 1, Colors.Gray.WithAlpha(0.7), LinePattern.Dashed);
            line.ExcludeFromLegend = true;
            if (!numbered) continue;
            line.LabelText = (m + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            line.LabelOppositeAxis = true;
            line.LabelFontSize = 10;
        }

        var values = new List<double>();
        foreach (var band in panel.Bands ?? [])
        {
            var n = Math.Min(x.Count, Math.Min(band.Low.Count, band.High.Count));
            var idx = Enumerable.Range(0, n).Where(i => double.IsFinite(band.Low[i]) && double.IsFinite(band.High[i])).ToArray();
            if (idx.Length < 2) continue;
            var fill = plot.Add.FillY(idx.Select(i => x[i]).ToArray(), idx.Select(i => band.Low[i]).ToArray(), idx.Select(i => band.High[i]).ToArray());
            fill.FillColor = PlotFiles.Palette(band.Colour).WithAlpha(0.22);
            fill.LineWidth = 0;
            fill.LegendText = band.Label;
            values.AddRange(idx.Select(i => band.Low[i]));
            values.AddRange(idx.Select(i => band.High[i]));
        }

        foreach (var line in panel.Lines)
        {
            var n = Math.Min(x.Count, line.Values.Count);
            var idx = Enumerable.Range(0, n).Where(i => double.IsFinite(line.Values[i])).ToArray();
            if (idx.Length == 0) continue;
            var scatter = plot.Add.ScatterLine(idx.Select(i => x[i]).ToArray(), idx.Select(i => line.Values[i]).ToArray(), PlotFiles.Palette(line.Colour));
            scatter.LineWidth = 1.6f;
            scatter.LegendText = line.Label;
            if (line.Dashed) scatter.LinePattern = LinePattern.Dashed;
            values.AddRange(idx.Select(i => line.Values[i]));
        }

        var low = panel.YMin ?? Math.Min(0, values.DefaultIfEmpty(0).Min());
        var high = panel.YMax ?? Math.Max(low + 1e-9, values.DefaultIfEmpty(1).Max());
        if (panel.YMax is null) high += 0.08 * Math.Max(high - low, 1e-9);
        if (!(high > low)) high = low + 1;
        plot.Axes.SetLimitsY(low, high);
        plot.Title(panel.Title, 13);
        plot.YLabel(panel.YTitle, 13);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}

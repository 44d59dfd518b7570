using System.Globalization;
using ScottPlot;

namespace Streams.Reporting;

/// <summary>Performance figures: thread scaling (<c>streams bench</c>) and the twin's calibration against M/M/c.</summary>
public static class PerformancePlots
{
    /// <summary>
    /// Rate against worker threads with its rms as error bars, and the ideal line (the 1-thread rate times the
    /// threads) dashed; PNG and SVG for <paramref name="path"/>.
    /// </summary>
    public static (string Png, string Svg) Scaling(string path, string title, IReadOnlyList<int> threads, IReadOnlyList<double> rate, IReadOnlyList<double> rms)
    {
        ArgumentNullException.ThrowIfNull(threads);
        ArgumentNullException.ThrowIfNull(rate);
        ArgumentNullException.ThrowIfNull(rms);
        var plot = new Plot();
        var xs = threads.Select(t => (double)t).ToArray();
        var measured = plot.Add.Scatter(xs, rate.ToArray(), PlotFiles.Palette(0));
        measured.LineWidth = 2;
        measured.MarkerSize = 7;
        measured.LegendText = "measured (mean of repeats)";
        var bars = plot.Add.ErrorBar(xs, rate.ToArray(), rms.ToArray());
        bars.Color = PlotFiles.Palette(0);
        bars.LegendText = "rms over repeats";
        var one = threads.Select((t, i) => (t, i)).Where(p => p.t == 1).Select(p => rate[p.i]).FirstOrDefault();
        var top = rate.Zip(rms, (r, e) => r + e).DefaultIfEmpty(1).Max();
        if (one > 0)
        {
            var ideal = plot.Add.ScatterLine(xs, xs.Select(t => one * t).ToArray(), Colors.Gray);
            ideal.LinePattern = LinePattern.Dashed;
            ideal.LineWidth = 1.5f;
            ideal.LegendText = "ideal: 1-thread rate × threads";
            top = Math.Max(top, one * xs.Max());
        }

        plot.Axes.SetLimits(xs.DefaultIfEmpty(1).Min() - 0.5, xs.DefaultIfEmpty(1).Max() + 0.5, 0, top * 1.08);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(threads.Select(t => (double)t).ToArray(), threads.Select(t => t.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.Title(title);
        plot.XLabel("worker threads");
        plot.YLabel("rate (events/s)");
        plot.ShowLegend(Alignment.UpperLeft);
        return PlotFiles.Save(plot, path);
    }

    /// <summary>
    /// Observed mean queue against M/M/c's Lq, one marker series per worker count, on log-log axes (both shifted by
    /// 0.01 so an empty queue still shows), with the line observed = theory; PNG and SVG for <paramref name="path"/>.
    /// </summary>
    public static (string Png, string Svg) Calibration(string path, IReadOnlyList<(int Workers, double TheoryLq, double ObservedLq)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        const double shift = 0.01;
        var plot = new Plot();
        var groups = rows.GroupBy(r => r.Workers).OrderBy(g => g.Key).ToList();
        for (var g = 0; g < groups.Count; g++)
        {
            var s = plot.Add.Scatter(groups[g].Select(r => Math.Log10(r.TheoryLq + shift)).ToArray(), groups[g].Select(r => Math.Log10(r.ObservedLq + shift)).ToArray(), PlotFiles.Palette(g));
            s.LineWidth = 0;
            s.MarkerSize = 8;
            s.LegendText = string.Create(CultureInfo.InvariantCulture, $"{groups[g].Key} workers");
        }

        var all = rows.SelectMany(r => new[] { Math.Log10(r.TheoryLq + shift), Math.Log10(r.ObservedLq + shift) }).DefaultIfEmpty(0).ToArray();
        var (lo, hi) = (Math.Floor(all.Min()), Math.Ceiling(all.Max() + 1e-9));
        var diagonal = plot.Add.ScatterLine(new[] { lo, hi }, new[] { lo, hi }, Colors.Gray);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LegendText = "observed = M/M/c";
        plot.Axes.SetLimits(lo, hi, lo, hi);
        var decades = Enumerable.Range((int)lo, (int)(hi - lo) + 1).Select(d => (double)d).ToArray();
        string Label(double d) => Math.Pow(10, d).ToString("G3", CultureInfo.InvariantCulture);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(decades, decades.Select(Label).ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(decades, decades.Select(Label).ToArray());
        plot.Title("Twin calibration: measured queue against M/M/c");
        plot.XLabel("M/M/c mean queue Lq + 0.01 (events, log scale)");
        plot.YLabel("observed mean queue + 0.01 (events, log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        return PlotFiles.Save(plot, path);
    }
}

using System.Globalization;
using ScottPlot;

namespace Streams.Reporting;

/// <summary>A dp/p histogram drawn: its fit, bins, range, and what fell outside.</summary>
/// <param name="Fit">The Gaussian fitted to all values (not the binned ones).</param>
/// <param name="HalfWidth">The histogram spans -HalfWidth .. +HalfWidth around 0.</param>
/// <param name="Counts">Entries per bin.</param>
/// <param name="Underflow">Values below the range.</param>
/// <param name="Overflow">Values above the range.</param>
public sealed record HistogramFigure(GaussianFit Fit, double HalfWidth, long[] Counts, long Underflow, long Overflow)
{
    /// <summary>All values, in range or not.</summary>
    public long Entries => Counts.Sum() + Underflow + Overflow;
}

/// <summary>One superlayer's residuals: tracks with hits there, the mean and rms over tracks and the mean's error (micrometres).</summary>
public sealed record ResidualStats(int Superlayer, long Tracks, double MeanMicrons, double RmsMicrons, double MeanErrorMicrons);

/// <summary>
/// The validation figures: the momentum resolution histogram with its Gaussian fit, and efficiencies with binomial
/// error bars. Each writes PNG and SVG (see <see cref="PlotFiles"/>) and the CSV of its numbers.
/// </summary>
public static class PhysicsPlots
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// dp/p of matched tracks: <paramref name="bins"/> bins over +-(5 fitted sigma + |mean|) around 0 (+-1% without a fit), the fitted Gaussian
    /// over them, and a legend with mean, sigma and its error, entries, under- and overflow; the bins as CSV.
    /// </summary>
    public static HistogramFigure Resolution(string pngPath, string csvPath, IReadOnlyList<double> dpp, int bins = 60)
    {
        ArgumentNullException.ThrowIfNull(dpp);
        var fit = GaussianFit.Of(dpp);
        var half = double.IsFinite(fit.Sigma) && fit.Sigma > 0 ? (5 * fit.Sigma) + Math.Abs(fit.Mean) : 0.01;
        var counts = new long[bins];
        long under = 0, over = 0;
        foreach (var x in dpp)
        {
            var b = (int)Math.Floor((x + half) / (2 * half) * bins);
            if (b < 0) under++;
            else if (b >= bins) over++;
            else counts[b]++;
        }

        var width = 2 * half / bins;
        var figure = new HistogramFigure(fit, half, counts, under, over);
        var plot = new Plot();
        var bars = plot.Add.Bars(Enumerable.Range(0, bins).Select(i => new Bar
        {
            Position = -half + ((i + 0.5) * width), Value = counts[i], Size = width, FillColor = PlotFiles.Palette(0).WithAlpha(0.6), LineWidth = 0,
        }).ToList());
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "matched tracks", FillColor = PlotFiles.Palette(0).WithAlpha(0.6) });
        if (double.IsFinite(fit.Sigma) && fit.Sigma > 0)
        {
            var xs = Enumerable.Range(0, 401).Select(i => fit.Mean - (GaussianFit.Window * fit.Sigma) + (i * 2 * GaussianFit.Window * fit.Sigma / 400)).ToArray();
            // Normalised to the values inside the window, as the fit sees them (a Gaussian keeps 99.73% within +-3 sigma).
            var scale = fit.Used / 0.9973 * width;
            var curve = plot.Add.ScatterLine(xs, xs.Select(x => fit.Curve(x, scale)).ToArray(), PlotFiles.Palette(3));
            curve.LineWidth = 2;
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "Gaussian fit within ±3σ", LineColor = PlotFiles.Palette(3), LineWidth = 2 });
        }

        foreach (var line in LegendLines(figure)) plot.Legend.ManualItems.Add(new LegendItem { LabelText = line });
        plot.ShowLegend(Alignment.UpperRight);
        plot.Title("Momentum resolution of matched tracks");
        plot.XLabel("dp/p = (p_reco − p_true) / p_true (dimensionless)");
        plot.YLabel($"tracks per bin (bin width {width.ToString("0.#####", Inv)})");
        plot.Axes.SetLimitsX(-half, half);
        plot.Axes.SetLimitsY(0, Math.Max(1, counts.DefaultIfEmpty(0).Max()) * 1.15);
        _ = bars;
        PlotFiles.Save(plot, pngPath);
        CsvTable.Write(csvPath, ["dp_over_p_low", "dp_over_p_high", "tracks"],
            counts.Select((c, i) => new[] { CsvTable.Field(-half + (i * width), "0.#####"), CsvTable.Field(-half + ((i + 1) * width), "0.#####"), CsvTable.Field(c) }),
            [string.Create(Inv, $" dp/p histogram; Gaussian fit within +-3 sigma: mean {fit.Mean:G6} +- {fit.MeanError:G3}, sigma {fit.Sigma:G6} +- {fit.SigmaError:G3}; entries {figure.Entries}, underflow {under}, overflow {over}")]);
        return figure;
    }

    /// <summary>The legend's text lines (mean, sigma with errors, entries, under/overflow).</summary>
    public static IReadOnlyList<string> LegendLines(HistogramFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        var f = figure.Fit;
        return
        [
            $"mean = {Measured(f.Mean, f.MeanError)}",
            $"σ = {Measured(f.Sigma, f.SigmaError)}",
            string.Create(Inv, $"entries = {figure.Entries}"),
            string.Create(Inv, $"underflow = {figure.Underflow}, overflow = {figure.Overflow}"),
        ];
    }

    /// <summary>"value ± error" with the error to two significant digits and the value to the same decimal place.</summary>
    public static string Measured(double value, double error)
    {
        if (!double.IsFinite(value)) return "n/a";
        var decimals = error > 0 && double.IsFinite(error) ? Math.Clamp(1 - (int)Math.Floor(Math.Log10(error)), 0, 12) : 6;
        var format = "F" + decimals.ToString(Inv);
        return $"{value.ToString(format, Inv)} ± {(double.IsFinite(error) ? error.ToString(format, Inv) : "n/a")}";
    }

    /// <summary>
    /// Efficiency found/generated per bin of <paramref name="edges"/> (one more edge than bins) with 68.3% Wilson
    /// error bars; a bin with nothing generated is left out of the plot and has empty efficiency fields in the CSV.
    /// The y range covers the points and their errors (not 0..1 when every value is near 1).
    /// </summary>
    public static void Efficiency(string pngPath, string csvPath, IReadOnlyList<double> edges, IReadOnlyList<long> generated, IReadOnlyList<long> found,
        string title, string xTitle, string xColumn)
    {
        ArgumentNullException.ThrowIfNull(edges);
        ArgumentNullException.ThrowIfNull(generated);
        ArgumentNullException.ThrowIfNull(found);
        var bins = generated.Count;
        if (edges.Count != bins + 1 || found.Count != bins) throw new ArgumentException("edges need one entry more than generated and found");
        var rows = new List<string[]>();
        var (xs, ys, up, down, halfWidths) = (new List<double>(), new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (var i = 0; i < bins; i++)
        {
            if (generated[i] == 0)
            {
                rows.Add([CsvTable.Field(edges[i]), CsvTable.Field(edges[i + 1]), "0", CsvTable.Field(found[i]), "", "", ""]);
                continue;
            }

            var e = found[i] / (double)generated[i];
            var (lo, hi) = BinomialInterval.Wilson(found[i], generated[i]);
            rows.Add([CsvTable.Field(edges[i]), CsvTable.Field(edges[i + 1]), CsvTable.Field(generated[i]), CsvTable.Field(found[i]), CsvTable.Field(e, "0.######"), CsvTable.Field(lo, "0.######"), CsvTable.Field(hi, "0.######")]);
            xs.Add((edges[i] + edges[i + 1]) / 2);
            halfWidths.Add((edges[i + 1] - edges[i]) / 2);
            ys.Add(e);
            up.Add(hi - e);
            down.Add(e - lo);
        }

        CsvTable.Write(csvPath, [$"{xColumn}_low", $"{xColumn}_high", "generated", "found", "efficiency", "efficiency_low", "efficiency_high"], rows,
            [" efficiency = found / generated, with its 68.3% Wilson score interval; a bin with no generated track is empty: its efficiency fields are empty, not 0"]);
        var plot = new Plot();
        if (xs.Count > 0)
        {
            var points = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), PlotFiles.Palette(0));
            points.LineWidth = 0;
            points.MarkerSize = 6;
            points.LegendText = "found / generated";
            var bars = new ScottPlot.Plottables.ErrorBar(xs, ys, halfWidths, halfWidths, up, down) { Color = PlotFiles.Palette(0), LegendText = "68.3% Wilson interval; bar: bin width" };
            plot.Add.Plottable(bars);
            var (yLow, yHigh) = YRange(ys.Zip(down, (y, d) => y - d).Min(), ys.Zip(up, (y, u) => y + u).Max());
            plot.Axes.SetLimitsY(yLow, yHigh);
            plot.ShowLegend(Alignment.LowerRight);
        }
        else
        {
            plot.Add.Annotation("no generated track in any bin");
            plot.Axes.SetLimitsY(0, 1.05);
        }

        // x: the span of the bins with entries, one bin more each side (empty bins between them stay gaps).
        var filled = Enumerable.Range(0, bins).Where(i => generated[i] > 0).ToArray();
        var first = filled.Length > 0 ? Math.Max(0, filled[0] - 1) : 0;
        var last = filled.Length > 0 ? Math.Min(bins - 1, filled[^1] + 1) : bins - 1;
        plot.Axes.SetLimitsX(edges[first], edges[last + 1]);
        plot.Title(title);
        plot.XLabel(xTitle);
        plot.YLabel("efficiency (found / generated)");
        PlotFiles.Save(plot, pngPath);
    }

    /// <summary>
    /// The drift-chamber fit's hit residuals per superlayer: for each superlayer (1-6) the mean over tracks of the
    /// track's mean residual there (measured - fitted, cm in, micrometres drawn) with the rms over tracks as its bar,
    /// and the zero line; the numbers as CSV. A superlayer no track crossed is left out (and empty in the CSV).
    /// </summary>
    public static IReadOnlyList<ResidualStats> Residuals(string pngPath, string csvPath, IReadOnlyList<IReadOnlyList<double>> bySuperlayerCm)
    {
        ArgumentNullException.ThrowIfNull(bySuperlayerCm);
        var stats = bySuperlayerCm.Select((values, i) =>
        {
            var (mean, sd) = values.Count == 0 ? (double.NaN, double.NaN) : values.Count == 1 ? (values[0], 0) : MathNet.Numerics.Statistics.Statistics.MeanStandardDeviation(values);
            return new ResidualStats(i + 1, values.Count, mean * 1e4, sd * 1e4, values.Count > 0 ? sd * 1e4 / Math.Sqrt(values.Count) : double.NaN);
        }).ToList();
        CsvTable.Write(csvPath, ["superlayer", "tracks", "mean_um", "rms_um", "mean_error_um"],
            stats.Select(r => r.Tracks == 0
                ? new[] { CsvTable.Field(r.Superlayer), "0", "", "", "" }
                : [CsvTable.Field(r.Superlayer), CsvTable.Field(r.Tracks), CsvTable.Field(r.MeanMicrons), CsvTable.Field(r.RmsMicrons), CsvTable.Field(r.MeanErrorMicrons, "0.####")]),
            ["per superlayer: mean over matched tracks of the track's mean hit residual there (measured - fitted), its rms over tracks, and the mean's error (rms / sqrt(tracks)), in micrometres"]);

        var plot = new Plot();
        var shown = stats.Where(r => r.Tracks > 0).ToList();
        var zero = plot.Add.HorizontalLine(0, 1, Colors.Gray); // solid: Skia's SVG canvas has no dashes (and says so on the console)
        zero.ExcludeFromLegend = true;
        if (shown.Count > 0)
        {
            var xs = shown.Select(r => (double)r.Superlayer).ToArray();
            var ys = shown.Select(r => r.MeanMicrons).ToArray();
            var points = plot.Add.Scatter(xs, ys, PlotFiles.Palette(0));
            points.LineWidth = 0;
            points.MarkerSize = 7;
            points.LegendText = "mean over tracks";
            var bars = plot.Add.ErrorBar(xs, ys, shown.Select(r => r.RmsMicrons).ToArray());
            bars.Color = PlotFiles.Palette(0);
            bars.LegendText = "bar: rms over tracks";
            var reach = shown.Max(r => Math.Abs(r.MeanMicrons) + r.RmsMicrons);
            plot.Axes.SetLimitsY(-1.25 * reach, 1.25 * reach);
            plot.ShowLegend(Alignment.UpperRight);
        }
        else
        {
            plot.Add.Annotation("no matched track");
        }

        plot.Axes.SetLimitsX(0.5, 6.5);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([1, 2, 3, 4, 5, 6], ["1", "2", "3", "4", "5", "6"]);
        plot.Title("Drift-chamber hit residuals per superlayer (matched tracks)");
        plot.XLabel("superlayer");
        plot.YLabel("track's mean residual, measured − fitted (µm)");
        PlotFiles.Save(plot, pngPath);
        return stats;
    }

    /// <summary>A y range around [low, high] padded by 15% of its span, at least 0.01 wide, inside [0, 1.05].</summary>
    public static (double Low, double High) YRange(double low, double high)
    {
        var span = Math.Max(high - low, 0.01);
        var pad = 0.15 * span;
        return (Math.Max(0, low - pad), Math.Min(1.05, high + pad));
    }
}

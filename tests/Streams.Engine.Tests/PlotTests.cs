using System.Globalization;
using System.Xml.Linq;
using MathNet.Numerics.Distributions;
using SkiaSharp;
using Streams.Reporting;

namespace Streams.Engine.Tests;

/// <summary>
/// The ScottPlot figures, read back with SkiaSharp: their size, that they are drawn (not blank), the SVG beside each
/// PNG, the Gaussian fit against the sample's true sigma, and empty efficiency bins left empty in the CSV.
/// </summary>
public sealed class PlotTests : IDisposable
{
    private readonly TempDir _tmp = new();

    private string In(string name) => Path.Combine(_tmp.Path, name);

    /// <summary>Decodes <paramref name="path"/> and returns its size and the share of pixels in the rectangle that are not white.</summary>
    private static (int Width, int Height, double Inked) Read(string path, SKRectI? area = null)
    {
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        var r = area ?? new SKRectI(0, 0, bitmap.Width, bitmap.Height);
        long inked = 0;
        for (var y = r.Top; y < r.Bottom; y++)
        {
            for (var x = r.Left; x < r.Right; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red < 240 || c.Green < 240 || c.Blue < 240) inked++;
            }
        }

        return (bitmap.Width, bitmap.Height, inked / (double)(r.Width * r.Height));
    }

    private static string SvgText(string path) =>
        string.Join('\n', XDocument.Load(path).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value));

    [Fact]
    public void The_resolution_fit_finds_the_true_sigma_within_its_error_and_the_legend_says_so()
    {
        const double sigma = 0.004, mean = 0.0005;
        var rng = new Random(7);
        var values = Normal.Samples(rng, mean, sigma).Take(40_000).ToList();
        values.AddRange(Enumerable.Range(0, 400).Select(_ => (rng.NextDouble() - 0.5) * 2)); // 1% flat tails out to +-1
        var figure = PhysicsPlots.Resolution(In("dpp.png"), In("dpp.csv"), values);

        Assert.InRange(figure.Fit.Sigma, sigma - (3 * figure.Fit.SigmaError), sigma + (3 * figure.Fit.SigmaError));
        Assert.InRange(figure.Fit.Mean, mean - (3 * figure.Fit.MeanError), mean + (3 * figure.Fit.MeanError));
        Assert.Equal(values.Count, figure.Entries);
        Assert.Equal(values.Count(v => v < -figure.HalfWidth), figure.Underflow);
        Assert.True(figure.Overflow > 100 && figure.Underflow > 100, $"{figure.Underflow} {figure.Overflow}");

        var (w, h, inked) = Read(In("dpp.png"));
        Assert.Equal((800, 500), (w, h));
        Assert.InRange(inked, 0.05, 0.8);
        var text = SvgText(In("dpp.svg"));
        foreach (var line in PhysicsPlots.LegendLines(figure)) Assert.Contains(line, text, StringComparison.Ordinal);
        // The sigma the legend prints, read back from the figure, holds the true sigma within 3 of its printed errors.
        var printed = System.Text.RegularExpressions.Regex.Match(text, "σ = ([0-9.]+) ± ([0-9.]+)");
        Assert.True(printed.Success, text);
        var (legendSigma, legendError) = (double.Parse(printed.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(printed.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.InRange(sigma, legendSigma - (3 * legendError), legendSigma + (3 * legendError));
        Assert.Contains("dp/p", text, StringComparison.Ordinal);
        Assert.StartsWith("# dp/p histogram", File.ReadLines(In("dpp.csv")).First(), StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_efficiency_bins_are_empty_in_the_csv_and_the_plot_keeps_to_the_values()
    {
        long[] generated = [0, 1000, 2000, 0, 1500];
        long[] found = [0, 999, 1998, 0, 1500];
        PhysicsPlots.Efficiency(In("eff.png"), In("eff.csv"), [0, 1, 2, 3, 4, 5], generated, found, "efficiency", "p (GeV)", "p_gev");
        var lines = File.ReadAllLines(In("eff.csv"));
        Assert.StartsWith("#", lines[0], StringComparison.Ordinal);
        Assert.Contains("empty", lines[0], StringComparison.Ordinal);
        Assert.Equal("p_gev_low,p_gev_high,generated,found,efficiency,efficiency_low,efficiency_high", lines[1]);
        Assert.Equal("0,1,0,0,,,", lines[2]);
        Assert.Equal("3,4,0,0,,,", lines[5]);
        Assert.StartsWith("1,2,1000,999,0.999,", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("4,5,1500,1500,1,", lines[6], StringComparison.Ordinal);
        var (w, h, inked) = Read(In("eff.png"));
        Assert.Equal((800, 500), (w, h));
        Assert.True(inked > 0.02, $"{inked:P1} inked");
        Assert.True(File.Exists(In("eff.svg")));

        var (low, high) = PhysicsPlots.YRange(0.998, 1);
        Assert.True(low > 0.99 && high <= 1.05, $"{low} {high}");
    }

    [Fact]
    public void Residuals_per_superlayer_give_each_superlayers_mean_and_spread_and_leave_an_empty_one_empty()
    {
        var rng = new Random(7);
        // Superlayer k: residuals of mean 5k um and rms (100 + 10k) um, in cm; superlayer 4 has no track.
        var values = Enumerable.Range(0, 6).Select(k => (IReadOnlyList<double>)(k == 3 ? [] : [.. Enumerable.Range(0, 4000).Select(_ => Normal.Sample(rng, 5e-4 * k, 1e-3 + (1e-4 * k)))])).ToList();
        var stats = PhysicsPlots.Residuals(In("res.png"), In("res.csv"), values);
        Assert.Equal([1, 2, 3, 4, 5, 6], stats.Select(s => s.Superlayer));
        foreach (var s in stats.Where(s => s.Superlayer != 4))
        {
            var k = s.Superlayer - 1;
            Assert.Equal(4000, s.Tracks);
            Assert.InRange(s.MeanMicrons, (5 * k) - (4 * s.MeanErrorMicrons), (5 * k) + (4 * s.MeanErrorMicrons));
            Assert.InRange(s.RmsMicrons, 0.95 * (10 + k), 1.05 * (10 + k)); // 1e-3 cm = 10 um, plus 1 um per superlayer
            Assert.Equal(s.RmsMicrons / Math.Sqrt(4000), s.MeanErrorMicrons, 9);
        }

        var lines = File.ReadAllLines(In("res.csv"));
        Assert.Equal("superlayer,tracks,mean_um,rms_um,mean_error_um", lines[1]);
        Assert.Equal("4,0,,,", lines[5]);
        var (w, h, inked) = Read(In("res.png"));
        Assert.Equal((800, 500), (w, h));
        Assert.True(inked > 0.02, $"{inked:P1} inked");
        Assert.Contains("superlayer", SvgText(In("res.svg")), StringComparison.Ordinal);
    }

    [Fact]
    public void Wilson_intervals_match_the_formula_and_stay_inside_0_and_1()
    {
        var (lo, hi) = BinomialInterval.Wilson(0, 10);
        Assert.Equal(0, lo, 12);
        Assert.Equal(1 / 11.0, hi, 9); // centre (0 + 1/20) / 1.1 plus half-width (1/1.1) sqrt(1/400)
        (lo, hi) = BinomialInterval.Wilson(10, 10);
        Assert.Equal(1, hi, 12);
        Assert.Equal(10 / 11.0, lo, 9);
        Assert.True(double.IsNaN(BinomialInterval.Wilson(0, 0).Low));
    }

    [Fact]
    public void Stacked_panels_share_the_width_and_each_is_drawn()
    {
        var x = Enumerable.Range(0, 200).Select(i => (double)i).ToArray();
        var (png, svg) = TimeSeriesPlots.Stacked(In("stack.png"), x,
        [
            new Panel("a", "rate (events/s)", [new Series("sin", [.. x.Select(Math.Sin)], 0)]),
            new Panel("b", "queue (events)", [new Series("queue", [.. x.Select(v => v * v)], 0), new Series("target", [.. x.Select(_ => 100.0)], 3, Dashed: true)],
                [new Band("band", [.. x.Select(v => (v * v) - 50)], [.. x.Select(v => (v * v) + 50)], 0)]),
            new Panel("c", "servers", [new Series("ready", [.. x.Select(v => Math.Floor(v / 50))], 0)]),
        ], "time (s)", width: 900, panelHeight: 200);
        Assert.Equal(In("stack.svg"), svg);
        var (w, h, _) = Read(png);
        Assert.Equal((900, 600), (w, h));
        for (var p = 0; p < 3; p++)
        {
            var (_, _, inked) = Read(png, new SKRectI(PlotFiles.PanelLeft + 5, (p * 200) + 40, 860, (p * 200) + 170));
            Assert.True(inked > 0.01, $"panel {p}: {inked:P1} inked");
        }

        Assert.Contains("time (s)", SvgText(svg), StringComparison.Ordinal);
    }

    [Fact]
    public void Scaling_and_calibration_plots_are_written_as_png_and_svg()
    {
        var (png, svg) = PerformancePlots.Scaling(In("scaling.svg"), "scaling", [1, 2, 4], [100, 190, 350], [5, 8, 12]);
        Assert.Equal((In("scaling.png"), In("scaling.svg")), (png, svg));
        Assert.True(Read(png).Inked > 0.02);
        Assert.Contains("ideal", SvgText(svg), StringComparison.Ordinal);
        (png, svg) = PerformancePlots.Calibration(In("cal.png"), [(1, 0.1, 0.12), (1, 1.5, 1.4), (2, 0.02, 0.0), (2, 3, 3.3)]);
        Assert.True(Read(png).Inked > 0.02);
        Assert.Contains("M/M/c", SvgText(svg), StringComparison.Ordinal);
    }

    public void Dispose() => _tmp.Dispose();
}

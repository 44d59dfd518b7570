using ScottPlot;
using SkiaSharp;

namespace Streams.Reporting;

/// <summary>
/// Writes ScottPlot figures as PNG and SVG side by side (<c>name.png</c> and <c>name.svg</c>, whichever extension the
/// caller names), alone or as panels stacked on one shared x axis: every panel gets the same fixed margins and x
/// range, so their data areas line up, and only the bottom one carries the x axis title.
/// </summary>
public static class PlotFiles
{
    /// <summary>The font every figure uses (Skia falls back to what the node has when it is missing).</summary>
    public const string FontName = "DejaVu Sans";

    /// <summary>Left margin of stacked panels (room for the y tick labels and title).</summary>
    public const int PanelLeft = 90;

    /// <summary>The PNG and SVG paths for <paramref name="path"/> (its extension replaced; none: both appended).</summary>
    public static (string Png, string Svg) PathsOf(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var ext = Path.GetExtension(path).ToUpperInvariant();
        var stem = ext is ".PNG" or ".SVG" ? path[..^ext.Length] : path;
        return (stem + ".png", stem + ".svg");
    }

    /// <summary>One plot as PNG and SVG; returns the two paths.</summary>
    public static (string Png, string Svg) Save(Plot plot, string path, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(plot);
        plot.Font.Set(FontName);
        return Write(path, width, height, canvas => plot.Render(canvas, new PixelRect(new Pixel(0, 0), new PixelSize(width, height))));
    }

    /// <summary>
    /// <paramref name="panels"/> stacked top to bottom, each <paramref name="panelHeight"/> pixels high, sharing the
    /// x range <paramref name="xMin"/>..<paramref name="xMax"/> and titled <paramref name="xTitle"/> under the last one.
    /// </summary>
    public static (string Png, string Svg) SaveStacked(IReadOnlyList<Plot> panels, string path, double xMin, double xMax, string xTitle, int width = 1000, int panelHeight = 260)
    {
        var (height, draw) = Stack(panels, xMin, xMax, xTitle, width, panelHeight);
        return Write(path, width, height, draw);
    }

    /// <summary>The stacked panels of <see cref="SaveStacked"/> as PNG bytes (for a report that embeds its images).</summary>
    public static byte[] StackedPng(IReadOnlyList<Plot> panels, double xMin, double xMax, string xTitle, int width = 1000, int panelHeight = 260)
    {
        var (height, draw) = Stack(panels, xMin, xMax, xTitle, width, panelHeight);
        return Png(width, height, draw);
    }

    private static (int Height, Action<SKCanvas> Draw) Stack(IReadOnlyList<Plot> panels, double xMin, double xMax, string xTitle, int width, int panelHeight)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0) throw new ArgumentException("nothing to draw", nameof(panels));
        if (!(xMax > xMin)) xMax = xMin + 1;
        for (var i = 0; i < panels.Count; i++)
        {
            var last = i == panels.Count - 1;
            panels[i].Axes.SetLimitsX(xMin, xMax);
            panels[i].XLabel(last ? xTitle : "");
            panels[i].Layout.Fixed(new PixelPadding(PanelLeft, 30, last ? 55 : 28, 36));
            panels[i].Font.Set(FontName);
            panels[i].RenderManager.ClearCanvasBeforeEachRender = false;
        }

        return (panelHeight * panels.Count, canvas =>
        {
            canvas.Clear(SKColors.White);
            for (var i = 0; i < panels.Count; i++) panels[i].Render(canvas, new PixelRect(new Pixel(0, i * panelHeight), new PixelSize(width, panelHeight)));
        });
    }

    private static byte[] Png(int width, int height, Action<SKCanvas> draw)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        surface.Canvas.Clear(SKColors.White);
        draw(surface.Canvas);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Draws once onto a raster surface (PNG) and once onto an SVG canvas.</summary>
    private static (string Png, string Svg) Write(string path, int width, int height, Action<SKCanvas> draw)
    {
        var (png, svg) = PathsOf(path);
        if (Path.GetDirectoryName(Path.GetFullPath(png)) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        File.WriteAllBytes(png, Png(width, height, draw));

        using (var file = File.Create(svg))
        {
            using var stream = new SKManagedWStream(file);
            using var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream);
            draw(canvas);
        }

        return (png, svg);
    }

    /// <summary>The colours series take in order (Tableau 10, as matplotlib's default).</summary>
    public static Color Palette(int index) => new ScottPlot.Palettes.Category10().GetColor(index);
}

using System.Globalization;
using System.Text;

namespace Streams.Cli.Bench;

/// <summary>A small dependency-free SVG line plot with error bars and an optional ideal-scaling line.</summary>
internal static class SvgPlot
{
    public static string Scaling(string title, IReadOnlyList<ScalingPoint> points)
    {
        const int w = 640, h = 420, left = 80, right = 20, top = 40, bottom = 60;
        var maxX = points.Max(p => p.Threads);
        var ideal = points.FirstOrDefault(p => p.Threads == 1)?.AverageRate;
        var maxY = Math.Max(points.Max(p => p.AverageRate + p.Rms), ideal is { } i ? i * maxX : 0) * 1.05;
        double X(double v) => left + ((v - (maxX == 1 ? 0 : 1)) / Math.Max(maxX - (maxX == 1 ? 0 : 1), 1)) * (w - left - right);
        double Y(double v) => h - bottom - (v / maxY * (h - top - bottom));
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(inv, $"<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n");
        sb.Append(inv, $"<text x=\"{w / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n");
        sb.Append(inv, $"<line x1=\"{left}\" y1=\"{h - bottom}\" x2=\"{w - right}\" y2=\"{h - bottom}\" stroke=\"black\"/>\n");
        sb.Append(inv, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{h - bottom}\" stroke=\"black\"/>\n");
        for (var t = 0; t <= 5; t++)
        {
            var v = maxY * t / 5;
            sb.Append(inv, $"<text x=\"{left - 6}\" y=\"{Y(v) + 4:0.0}\" text-anchor=\"end\">{v:0}</text><line x1=\"{left}\" y1=\"{Y(v):0.0}\" x2=\"{w - right}\" y2=\"{Y(v):0.0}\" stroke=\"#ddd\"/>\n");
        }

        foreach (var p in points) sb.Append(inv, $"<text x=\"{X(p.Threads):0.0}\" y=\"{h - bottom + 18}\" text-anchor=\"middle\">{p.Threads}</text>\n");
        sb.Append(inv, $"<text x=\"{(left + w - right) / 2}\" y=\"{h - 18}\" text-anchor=\"middle\">worker threads</text>\n");
        sb.Append(inv, $"<text x=\"18\" y=\"{(top + h - bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {(top + h - bottom) / 2})\">events / s</text>\n");
        if (ideal is { } one)
        {
            sb.Append(inv, $"<polyline fill=\"none\" stroke=\"#999\" stroke-dasharray=\"5,4\" points=\"{string.Join(' ', points.Select(p => string.Create(inv, $"{X(p.Threads):0.0},{Y(one * p.Threads):0.0}")))}\"/>\n");
            sb.Append(inv, $"<text x=\"{w - right - 4}\" y=\"{top + 12}\" text-anchor=\"end\" fill=\"#777\">dashed: ideal linear scaling</text>\n");
        }

        sb.Append(inv, $"<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{string.Join(' ', points.Select(p => string.Create(inv, $"{X(p.Threads):0.0},{Y(p.AverageRate):0.0}")))}\"/>\n");
        foreach (var p in points)
        {
            sb.Append(inv, $"<line x1=\"{X(p.Threads):0.0}\" y1=\"{Y(p.AverageRate - p.Rms):0.0}\" x2=\"{X(p.Threads):0.0}\" y2=\"{Y(p.AverageRate + p.Rms):0.0}\" stroke=\"#1f77b4\"/>");
            sb.Append(inv, $"<circle cx=\"{X(p.Threads):0.0}\" cy=\"{Y(p.AverageRate):0.0}\" r=\"3.5\" fill=\"#1f77b4\"/>\n");
        }

        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}

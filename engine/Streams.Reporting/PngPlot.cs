using System.Buffers.Binary;
using System.IO.Compression;

namespace Streams.Reporting;

/// <summary>
/// Dependency-free PNG charts (bars with optional error bars; line series over time): enough for validation and
/// controller plots on a headless HPC node without native plotting libraries. The numbers themselves go to a CSV or
/// JSON beside each PNG.
/// </summary>
public static class PngPlot
{
    /// <summary>
    /// Bars (with error bars when given) of equal width over a range; <paramref name="title"/> on top, the y scale's
    /// ends beside the y axis, <paramref name="xLow"/> and <paramref name="xHigh"/> under the ends of the x axis.
    /// </summary>
    public static void Bars(string path, IReadOnlyList<double> values, IReadOnlyList<double>? errors = null, double? yMax = null, int width = 640, int height = 400,
        string? title = null, string? xLow = null, string? xHigh = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)255);
        const int left = 50, bottom = 40, right = 20;
        var top = title is null ? 20 : 34;
        var max = yMax ?? Math.Max(values.DefaultIfEmpty(0).Max() * 1.1, 1e-12);
        int Y(double v) => height - bottom - (int)Math.Round(Math.Clamp(v / max, 0, 1) * (height - top - bottom));
        void Rect(int x0, int y0, int x1, int y1, byte r, byte g, byte b)
        {
            for (var y = Math.Max(0, Math.Min(y0, y1)); y <= Math.Min(height - 1, Math.Max(y0, y1)); y++)
            {
                for (var x = Math.Max(0, x0); x <= Math.Min(width - 1, x1); x++)
                {
                    var i = ((y * width) + x) * 3;
                    rgb[i] = r;
                    rgb[i + 1] = g;
                    rgb[i + 2] = b;
                }
            }
        }

        var n = Math.Max(values.Count, 1);
        var slot = (width - left - right) / (double)n;
        for (var k = 0; k < values.Count; k++)
        {
            var x0 = left + (int)(k * slot) + 1;
            var x1 = left + (int)((k + 1) * slot) - 1;
            Rect(x0, Y(values[k]), x1, Y(0), 31, 119, 180);
            if (errors is not null && k < errors.Count && errors[k] > 0)
            {
                var xc = (x0 + x1) / 2;
                Rect(xc, Y(values[k] - errors[k]), xc, Y(values[k] + errors[k]), 0, 0, 0);
            }
        }

        Rect(left, top, left, height - bottom, 0, 0, 0);                 // y axis
        Rect(left, height - bottom, width - right, height - bottom, 0, 0, 0); // x axis
        for (var t = 0; t <= 10; t++)
        {
            var y = Y(max * t / 10);
            Rect(left - (t % 5 == 0 ? 8 : 4), y, left, y, 0, 0, 0);
        }

        for (var k = 0; k <= n; k += Math.Max(1, n / 10))
        {
            var x = left + (int)(k * slot);
            Rect(x, height - bottom, x, height - bottom + 6, 0, 0, 0);
        }

        void Ink(int x, int y) => Rect(x, y, x, y, 0, 0, 0);
        if (title is not null) PixelFont.Draw(Ink, left, 8, title, 2);
        Label(Ink, left, Y(max), PixelFont.Compact(max));
        Label(Ink, left, Y(0), "0");
        if (xLow is not null) PixelFont.Draw(Ink, left - (PixelFont.Measure(xLow) / 2), height - bottom + 10, xLow);
        if (xHigh is not null) PixelFont.Draw(Ink, width - right - (PixelFont.Measure(xHigh) / 2), height - bottom + 10, xHigh);
        Write(path, rgb, width, height);
    }

    /// <summary>
    /// Line series sharing one x axis, stacked in panels (one panel per group of series, each with its own y scale).
    /// Colours repeat per panel: blue, orange, green, red, purple. <paramref name="bands"/>, per panel, shades the area
    /// between a low and a high series in a light tint of the colour of the series with the same index (uncertainty).
    /// Each panel gets its <paramref name="titles"/> entry on top (say there which colour is which series) and its y
    /// scale's ends beside the axis; the last panel the x range under its axis and <paramref name="xLabel"/>.
    /// </summary>
    public static void Lines(string path, IReadOnlyList<double> x, IReadOnlyList<IReadOnlyList<IReadOnlyList<double>>> panels, int width = 900, int panelHeight = 220,
        IReadOnlyList<IReadOnlyList<(IReadOnlyList<double> Low, IReadOnlyList<double> High)>>? bands = null,
        IReadOnlyList<string>? titles = null, string? xLabel = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(panels);
        byte[][] colours = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189]];
        var height = Math.Max(1, panels.Count) * panelHeight;
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)255);
        const int left = 50, right = 20, bottom = 25;
        var top = titles is null ? 15 : 22;
        void Dot(int px, int py, byte[] c)
        {
            if (px < 0 || py < 0 || px >= width || py >= height) return;
            var i = ((py * width) + px) * 3;
            rgb[i] = c[0];
            rgb[i + 1] = c[1];
            rgb[i + 2] = c[2];
        }

        var xMin = x.Count > 0 ? x[0] : 0;
        var xMax = x.Count > 0 ? x[^1] : 1;
        if (xMax <= xMin) xMax = xMin + 1;
        for (var p = 0; p < panels.Count; p++)
        {
            var y0 = p * panelHeight;
            var yMax = Math.Max(1e-12, panels[p].SelectMany(s => s).Where(double.IsFinite).DefaultIfEmpty(0).Max() * 1.05);
            int Px(double v) => left + (int)Math.Round((v - xMin) / (xMax - xMin) * (width - left - right));
            int Py(double v) => y0 + panelHeight - bottom - (int)Math.Round(Math.Clamp(v / yMax, 0, 1) * (panelHeight - top - bottom));
            for (var yy = y0 + top; yy <= y0 + panelHeight - bottom; yy++) Dot(left, yy, [0, 0, 0]);
            for (var xx = left; xx <= width - right; xx++) Dot(xx, y0 + panelHeight - bottom, [0, 0, 0]);
            for (var t = 0; t <= 4; t++)
            {
                var ty = Py(yMax * t / 4);
                for (var xx = left - 6; xx < left; xx++) Dot(xx, ty, [0, 0, 0]);
            }

            for (var t = 0; t <= 10; t++)
            {
                var tx = left + (t * (width - left - right) / 10);
                for (var yy = 0; yy < 5; yy++) Dot(tx, y0 + panelHeight - bottom + yy, [0, 0, 0]);
            }

            void Ink(int px, int py) => Dot(px, py, [0, 0, 0]);
            if (titles is not null && p < titles.Count) PixelFont.Draw(Ink, left + 4, y0 + 4, titles[p]);
            Label(Ink, left, Py(yMax), PixelFont.Compact(yMax));
            Label(Ink, left, Py(0), "0");
            if (p == panels.Count - 1)
            {
                var yText = y0 + panelHeight - bottom + 8;
                PixelFont.Draw(Ink, left, yText, PixelFont.Compact(xMin));
                var hi = PixelFont.Compact(xMax);
                PixelFont.Draw(Ink, width - right - PixelFont.Measure(hi), yText, hi);
                if (xLabel is not null) PixelFont.Draw(Ink, (width - PixelFont.Measure(xLabel)) / 2, yText, xLabel);
            }

            var shaded = bands is not null && p < bands.Count ? bands[p] : [];
            for (var b = 0; b < shaded.Count; b++)
            {
                var (low, high) = shaded[b];
                var c = colours[b % colours.Length];
                byte[] tint = [(byte)(255 - ((255 - c[0]) / 4)), (byte)(255 - ((255 - c[1]) / 4)), (byte)(255 - ((255 - c[2]) / 4))];
                for (var i = 1; i < Math.Min(Math.Min(low.Count, high.Count), x.Count); i++)
                {
                    for (var px = Px(x[i - 1]); px <= Px(x[i]); px++)
                    {
                        var f = Px(x[i]) == Px(x[i - 1]) ? 1 : (double)(px - Px(x[i - 1])) / (Px(x[i]) - Px(x[i - 1]));
                        int ya = Py(low[i - 1] + ((low[i] - low[i - 1]) * f)), yb = Py(high[i - 1] + ((high[i] - high[i - 1]) * f));
                        for (var py = Math.Min(ya, yb); py <= Math.Max(ya, yb); py++) Dot(px, py, tint);
                    }
                }
            }

            for (var s = 0; s < panels[p].Count; s++)
            {
                var series = panels[p][s];
                var c = colours[s % colours.Length];
                for (var i = 1; i < Math.Min(series.Count, x.Count); i++)
                {
                    int xa = Px(x[i - 1]), xb = Px(x[i]), ya = Py(series[i - 1]), yb = Py(series[i]);
                    var steps = Math.Max(Math.Abs(xb - xa), Math.Abs(yb - ya)) + 1;
                    for (var k = 0; k <= steps; k++) Dot(xa + ((xb - xa) * k / steps), ya + ((yb - ya) * k / steps), c);
                }
            }
        }

        Write(path, rgb, width, height);
    }

    /// <summary>A y-axis value, right-aligned just left of the axis and centred on its tick.</summary>
    private static void Label(Action<int, int> ink, int axisX, int tickY, string text) =>
        PixelFont.Draw(ink, axisX - 8 - PixelFont.Measure(text), tickY - (PixelFont.Height / 2), text);

    private static void Write(string path, byte[] rgb, int width, int height)
    {
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                z.WriteByte(0); // filter: none
                z.Write(rgb, y * width * 3, width * 3);
            }
        }

        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type: RGB
        Chunk(file, "IHDR", ihdr);
        Chunk(file, "IDAT", raw.ToArray());
        Chunk(file, "IEND", []);
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crc = Crc32(Crc32(0xFFFFFFFF, typeBytes), data) ^ 0xFFFFFFFF;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        s.Write(word);
    }

    private static readonly uint[] CrcTable = MakeTable();

    private static uint[] MakeTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            t[n] = c;
        }

        return t;
    }

    private static uint Crc32(uint crc, byte[] data)
    {
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }
}

using System.Buffers.Binary;
using System.IO.Compression;
using Streams.Reporting;

namespace Streams.Engine.Tests;

/// <summary>The PNG charts: readable files, titles and scale labels drawn, uncertainty bands shaded.</summary>
public sealed class PngPlotTests : IDisposable
{
    private readonly TempDir _tmp = new();

    private string _dir => _tmp.Path;

    /// <summary>Reads back an 8-bit RGB PNG written with filter 0 (as PngPlot writes): width, height, pixels.</summary>
    private static (int Width, int Height, byte[] Rgb) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        int width = 0, height = 0;
        using var idat = new MemoryStream();
        for (var at = 8; at < bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(bytes, at + 4, 4);
            if (type == "IHDR") (width, height) = (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at + 8)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at + 12)));
            if (type == "IDAT") idat.Write(bytes, at + 8, length);
            at += 12 + length;
        }

        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var rows = raw.ToArray();
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++) Array.Copy(rows, (y * ((width * 3) + 1)) + 1, rgb, y * width * 3, width * 3);
        return (width, height, rgb);
    }

    private static int Count(string path, int x0, int y0, int x1, int y1, Func<byte, byte, byte, bool> match)
    {
        var (w, _, rgb) = Read(path);
        var n = 0;
        for (var y = y0; y < y1; y++)
        {
            for (var x = x0; x < x1; x++)
            {
                var i = ((y * w) + x) * 3;
                if (match(rgb[i], rgb[i + 1], rgb[i + 2])) n++;
            }
        }

        return n;
    }

    private static bool Black(byte r, byte g, byte b) => r == 0 && g == 0 && b == 0;

    [Fact]
    public void A_title_and_the_scale_labels_are_drawn()
    {
        var plain = Path.Combine(_dir, "plain.png");
        var titled = Path.Combine(_dir, "titled.png");
        PngPlot.Bars(plain, [1, 2, 3]);
        PngPlot.Bars(titled, [1, 2, 3], title: "EFFICIENCY", xLow: "0", xHigh: "12");
        Assert.Equal(0, Count(plain, 50, 0, 640, 20, Black));        // nothing above the plot area
        Assert.True(Count(titled, 50, 8, 640, 24, Black) > 100);     // ten letters of 2x2-pixel dots
        Assert.True(Count(titled, 0, 0, 42, 400, Black) > 10);       // scale values left of the y axis
        Assert.True(Count(titled, 0, 370, 640, 400, Black) > 10);    // x range under the axis
    }

    [Fact]
    public void Bands_are_shaded_in_a_tint_of_their_series_colour()
    {
        var path = Path.Combine(_dir, "band.png");
        double[] x = [0, 1, 2, 3];
        double[] mid = [5, 5, 5, 5];
        PngPlot.Lines(path, x, [[mid, mid]], bands: [[([], []), ([4, 4, 4, 4], [6, 6, 6, 6])]], titles: ["MID"], xLabel: "SECONDS");
        // Series 1 is orange (255, 127, 14): its tint is light orange between y = 4 and 6.
        Assert.True(Count(path, 60, 20, 880, 200, (r, g, b) => r == 255 && g > 200 && g < 240 && b > 180 && b < 200) > 1000);
    }

    public void Dispose() => _tmp.Dispose();
}

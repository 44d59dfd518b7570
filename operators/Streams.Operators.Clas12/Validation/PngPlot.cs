using System.Buffers.Binary;
using System.IO.Compression;

namespace Streams.Operators.Clas12.Validation;

/// <summary>
/// A dependency-free PNG bar chart (axes, ticks, bars with optional error bars): enough for validation plots on a
/// headless HPC node without native plotting libraries. The numbers themselves go to a CSV beside each PNG.
/// </summary>
public static class PngPlot
{
    public static void Bars(string path, IReadOnlyList<double> values, IReadOnlyList<double>? errors = null, double? yMax = null, int width = 640, int height = 400)
    {
        ArgumentNullException.ThrowIfNull(values);
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)255);
        const int left = 50, bottom = 40, top = 20, right = 20;
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

        Write(path, rgb, width, height);
    }

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

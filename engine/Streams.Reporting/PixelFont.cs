using System.Globalization;

namespace Streams.Reporting;

/// <summary>
/// A 5x7 pixel font for the labels of <see cref="PngPlot"/> (titles, axis values): digits, capital letters (small ones
/// are drawn as capitals) and the punctuation numbers and units need; anything else is drawn as '?'.
/// </summary>
internal static class PixelFont
{
    public const int Width = 5;
    public const int Height = 7;

    private static readonly Dictionary<char, string> Glyphs = new()
    {
        ['0'] = ".###. #...# #..## #.#.# ##..# #...# .###.",
        ['1'] = "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
        ['2'] = ".###. #...# ....# ...#. ..#.. .#... #####",
        ['3'] = "####. ....# ....# .###. ....# ....# ####.",
        ['4'] = "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
        ['5'] = "##### #.... ####. ....# ....# #...# .###.",
        ['6'] = ".###. #.... #.... ####. #...# #...# .###.",
        ['7'] = "##### ....# ...#. ..#.. .#... .#... .#...",
        ['8'] = ".###. #...# #...# .###. #...# #...# .###.",
        ['9'] = ".###. #...# #...# .#### ....# ....# .###.",
        ['A'] = ".###. #...# #...# ##### #...# #...# #...#",
        ['B'] = "####. #...# #...# ####. #...# #...# ####.",
        ['C'] = ".###. #...# #.... #.... #.... #...# .###.",
        ['D'] = "####. #...# #...# #...# #...# #...# ####.",
        ['E'] = "##### #.... #.... ####. #.... #.... #####",
        ['F'] = "##### #.... #.... ####. #.... #.... #....",
        ['G'] = ".###. #...# #.... #.### #...# #...# .###.",
        ['H'] = "#...# #...# #...# ##### #...# #...# #...#",
        ['I'] = ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
        ['J'] = "..### ...#. ...#. ...#. ...#. #..#. .##..",
        ['K'] = "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
        ['L'] = "#.... #.... #.... #.... #.... #.... #####",
        ['M'] = "#...# ##.## #.#.# #.#.# #...# #...# #...#",
        ['N'] = "#...# ##..# #.#.# #..## #...# #...# #...#",
        ['O'] = ".###. #...# #...# #...# #...# #...# .###.",
        ['P'] = "####. #...# #...# ####. #.... #.... #....",
        ['Q'] = ".###. #...# #...# #...# #.#.# #..#. .##.#",
        ['R'] = "####. #...# #...# ####. #.#.. #..#. #...#",
        ['S'] = ".#### #.... #.... .###. ....# ....# ####.",
        ['T'] = "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
        ['U'] = "#...# #...# #...# #...# #...# #...# .###.",
        ['V'] = "#...# #...# #...# #...# #...# .#.#. ..#..",
        ['W'] = "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
        ['X'] = "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
        ['Y'] = "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
        ['Z'] = "##### ....# ...#. ..#.. .#... #.... #####",
        ['.'] = "..... ..... ..... ..... ..... .##.. .##..",
        [','] = "..... ..... ..... ..... .##.. ..#.. .#...",
        ['-'] = "..... ..... ..... ##### ..... ..... .....",
        ['+'] = "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
        ['/'] = "....# ....# ...#. ..#.. .#... #.... #....",
        ['%'] = "##..# ##..# ...#. ..#.. .#... #..## #..##",
        ['('] = "...#. ..#.. .#... .#... .#... ..#.. ...#.",
        [')'] = ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
        [':'] = "..... .##.. .##.. ..... .##.. .##.. .....",
        ['='] = "..... ..... ##### ..... ##### ..... .....",
        ['_'] = "..... ..... ..... ..... ..... ..... #####",
        ['?'] = ".###. #...# ....# ...#. ..#.. ..... ..#..",
        [' '] = "..... ..... ..... ..... ..... ..... .....",
    };

    /// <summary>Pixels the text takes across at <paramref name="scale"/> (one column of space between characters).</summary>
    public static int Measure(string text, int scale = 1) => text.Length == 0 ? 0 : ((text.Length * (Width + 1)) - 1) * scale;

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y), each font pixel a scale x scale square.</summary>
    public static void Draw(Action<int, int> dot, int x, int y, string text, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(dot);
        ArgumentNullException.ThrowIfNull(text);
        foreach (var ch in text)
        {
            var rows = (Glyphs.TryGetValue(char.ToUpperInvariant(ch), out var g) ? g : Glyphs['?']).Split(' ');
            for (var r = 0; r < Height; r++)
            {
                for (var c = 0; c < Width; c++)
                {
                    if (rows[r][c] != '#') continue;
                    for (var dy = 0; dy < scale; dy++)
                    {
                        for (var dx = 0; dx < scale; dx++) dot(x + (c * scale) + dx, y + (r * scale) + dy);
                    }
                }
            }

            x += (Width + 1) * scale;
        }
    }

    /// <summary>A number in few characters: 0.85, 12.5, 1234, 12.3k, 4.5M.</summary>
    public static string Compact(double v)
    {
        var a = Math.Abs(v);
        var inv = CultureInfo.InvariantCulture;
        return a >= 1e9 ? (v / 1e9).ToString("0.#", inv) + "G"
            : a >= 1e6 ? (v / 1e6).ToString("0.#", inv) + "M"
            : a >= 1e4 ? (v / 1e3).ToString("0.#", inv) + "k"
            : a >= 100 ? v.ToString("0", inv)
            : a >= 1 ? v.ToString("0.#", inv)
            : v.ToString("0.###", inv);
    }
}

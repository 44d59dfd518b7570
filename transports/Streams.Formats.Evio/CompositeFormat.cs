namespace Streams.Formats.Evio;

/// <summary>
/// A parsed COMPOSITE format string such as <c>c,i,l,N(c,Ns)</c>: comma-separated items, each an
/// optional repeat (a number, or N/n/m = count read from the data as int32/int16/int8) followed by a
/// type letter or a parenthesised group.
/// </summary>
public sealed class CompositeFormat
{
    internal enum RepeatKind : byte { Once, Fixed, FromData32, FromData16, FromData8 }

    internal sealed record Node(RepeatKind Repeat, int Count, CompositeType Letter, IReadOnlyList<Node>? Group);

    private CompositeFormat(string text, IReadOnlyList<Node> nodes)
    {
        Text = text;
        Nodes = nodes;
    }

    /// <summary>The format text as given.</summary>
    public string Text { get; }

    internal IReadOnlyList<Node> Nodes { get; }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> on a bad format.</summary>
    public static CompositeFormat Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int pos = 0;
        var nodes = ParseList(text, ref pos, 0);
        if (pos != text.Length) throw new FormatException($"unexpected '{text[pos]}' at {pos} in composite format \"{text}\"");
        return new CompositeFormat(text, nodes);
    }

    private static List<Node> ParseList(string t, ref int pos, int depth)
    {
        if (depth > 16) throw new FormatException("composite format nested too deeply");
        var list = new List<Node>();
        while (pos < t.Length)
        {
            char ch = t[pos];
            if (ch is ' ' or ',') { pos++; continue; }
            if (ch == ')') break;
            var repeat = RepeatKind.Once;
            int count = 1;
            if (char.IsAsciiDigit(ch))
            {
                count = 0;
                while (pos < t.Length && char.IsAsciiDigit(t[pos]))
                {
                    count = count * 10 + (t[pos++] - '0');
                    if (count > 1_000_000) throw new FormatException("composite repeat count too large");
                }
                repeat = RepeatKind.Fixed;
            }
            else if (ch is 'N' or 'n' or 'm')
            {
                repeat = ch == 'N' ? RepeatKind.FromData32 : ch == 'n' ? RepeatKind.FromData16 : RepeatKind.FromData8;
                pos++;
            }
            if (pos >= t.Length) throw new FormatException($"composite format \"{t}\" ends after a repeat count");
            ch = t[pos];
            if (ch == '(')
            {
                pos++;
                var group = ParseList(t, ref pos, depth + 1);
                if (pos >= t.Length || t[pos] != ')') throw new FormatException($"unclosed '(' in composite format \"{t}\"");
                pos++;
                list.Add(new Node(repeat, count, default, group));
            }
            else
            {
                var letter = ch switch
                {
                    'c' => CompositeType.UChar8, 'C' => CompositeType.Char8, 's' => CompositeType.UShort16,
                    'S' => CompositeType.Short16, 'i' => CompositeType.UInt32, 'I' => CompositeType.Int32,
                    'l' => CompositeType.ULong64, 'L' => CompositeType.Long64, 'F' => CompositeType.Float32,
                    'D' => CompositeType.Double64, 'a' => CompositeType.Ascii8, 'A' => CompositeType.Hollerit,
                    _ => throw new FormatException($"unknown letter '{ch}' in composite format \"{t}\""),
                };
                pos++;
                list.Add(new Node(repeat, count, letter, null));
            }
        }
        return list;
    }
}

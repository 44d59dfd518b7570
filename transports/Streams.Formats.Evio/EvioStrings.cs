using System.Text;

namespace Streams.Formats.Evio;

/// <summary>
/// CHARSTAR8 string arrays. Each string is followed by one NUL; the whole is then padded with
/// 1 to 4 bytes of 0x04 to a 4-byte boundary (4 when already aligned: at least one 0x04 is always
/// written, which tells the array form from the old single-string form).
/// </summary>
public static class EvioStrings
{
    /// <summary>The padding byte after the last string.</summary>
    public const byte Pad = 0x04;

    /// <summary>Decodes the strings of a CHARSTAR8 data area.</summary>
    public static string[] Decode(ReadOnlySpan<byte> raw)
    {
        var list = new List<string>();
        int pos = 0;
        while (pos < raw.Length)
        {
            // A 0x04 where a string would start ends the array (it is the padding).
            if (raw[pos] == Pad) break;
            int nul = raw[pos..].IndexOf((byte)0);
            if (nul < 0)
            {
                // Old single-string form without terminator: the rest up to any 0x04.
                var rest = raw[pos..];
                int p = rest.IndexOf(Pad);
                list.Add(Encoding.ASCII.GetString(p < 0 ? rest : rest[..p]));
                break;
            }
            list.Add(Encoding.ASCII.GetString(raw.Slice(pos, nul)));
            pos += nul + 1;
            // Old form: NUL padding after a single string; stop at trailing NULs.
            if (pos < raw.Length && raw[pos] == 0) break;
        }
        return [.. list];
    }

    /// <summary>Bytes needed to encode <paramref name="strings"/> (a multiple of 4).</summary>
    public static int EncodedLength(IReadOnlyList<string> strings)
    {
        ArgumentNullException.ThrowIfNull(strings);
        int n = 0;
        foreach (var s in strings) n += Encoding.ASCII.GetByteCount(s) + 1;
        return n + (4 - (n & 3)); // 1..4 bytes of 0x04, never 0
    }

    /// <summary>Encodes <paramref name="strings"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Encode(IReadOnlyList<string> strings, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(strings);
        int pos = 0;
        foreach (var s in strings)
        {
            if (s.Contains('\0', StringComparison.Ordinal)) throw new ArgumentException("EVIO strings cannot contain NUL");
            pos += Encoding.ASCII.GetBytes(s, destination[pos..]);
            destination[pos++] = 0;
        }
        int pad = 4 - (pos & 3);
        destination.Slice(pos, pad).Fill(Pad);
        return pos + pad;
    }
}

namespace Streams.Engine.Operators;

/// <summary>"Did you mean ...?" for a misspelt name: the closest known name by edit distance (Levenshtein).</summary>
public static class Suggestions
{
    /// <summary>The candidate closest to <paramref name="input"/>, when it is close enough to be a typo (null otherwise).</summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            if (c == input) continue;
            var d = Distance(input.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance)
            {
                best = c;
                bestDistance = d;
            }
        }

        // A typo is a few edits, not a different word: at most a third of the name (at least 1, at most 3 edits).
        return best is not null && bestDistance <= Math.Clamp(input.Length / 3, 1, 3) ? best : null;
    }

    /// <summary>"; did you mean X?" or an empty string.</summary>
    public static string DidYouMean(string input, IEnumerable<string> candidates) =>
        Closest(input, candidates) is { } c ? $"; did you mean {c}?" : string.Empty;

    /// <summary>Edits (insert, delete, substitute, swap two neighbours) that turn <paramref name="a"/> into <paramref name="b"/>.</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }

        return d[a.Length, b.Length];
    }
}

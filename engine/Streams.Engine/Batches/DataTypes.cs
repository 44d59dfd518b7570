namespace Streams.Engine.Batches;

/// <summary>Well-known data types (mime-like strings) and the matching rules used when a pipeline is built.</summary>
public static class DataTypes
{
    /// <summary>An operator that accepts this type accepts any input.</summary>
    public const string Any = "*";

    /// <summary>Declared as an output type: the operator passes its input type through unchanged.</summary>
    public const string SameAsInput = "=input";

    /// <summary>Opaque synthetic bytes, produced by the <c>synthetic</c> source.</summary>
    public const string SyntheticBytes = "binary/synthetic";

    /// <summary>True when an operator that accepts <paramref name="accepted"/> can consume <paramref name="produced"/>.</summary>
    public static bool Matches(string produced, IReadOnlyList<string> accepted)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        if (produced == Any)
        {
            return true; // the producer cannot know until run time (for example a file source); checked per batch.
        }

        foreach (var a in accepted)
        {
            if (a == Any || string.Equals(a, produced, StringComparison.Ordinal))
            {
                return true;
            }

            // "binary/*" accepts every binary/... type.
            if (a.EndsWith("/*", StringComparison.Ordinal) && produced.StartsWith(a.AsSpan(0, a.Length - 1), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

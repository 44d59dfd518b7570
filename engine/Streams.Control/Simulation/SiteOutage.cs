using System.Globalization;

namespace Streams.Control.Simulation;

/// <summary>A site that fails from <see cref="FromSeconds"/> to <see cref="ToSeconds"/>: its calls fail and nodes due to join then never join.</summary>
public sealed record SiteOutage(string Site, double FromSeconds, double ToSeconds)
{
    public bool Covers(string site, double t) => site == Site && t >= FromSeconds && t < ToSeconds;

    /// <summary>Reads SITE:FROM:TO (seconds of the trace).</summary>
    public static SiteOutage Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        if (parts.Length == 3 && parts[0].Length > 0
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var from)
            && double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var to) && from >= 0 && to > from)
        {
            return new SiteOutage(parts[0], from, to);
        }

        throw new FormatException($"'{text}': expected SITE:FROM:TO (seconds, FROM < TO)");
    }
}

using System.Globalization;
using System.Text;

namespace Streams.Cli.Live;

/// <summary>One sample of the Prometheus text exposition: metric name, labels and value.</summary>
internal sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string key) => Labels.TryGetValue(key, out var v) ? v : "";
}

/// <summary>
/// Reads the samples of the families the live view shows (the controller's, the twin's, the node pool's) back from
/// the registry's text exposition, so that the view needs nothing from the controller beyond what it exports.
/// </summary>
internal static class MetricsText
{
    /// <summary>The samples whose names start with one of <paramref name="prefixes"/>; malformed lines are passed over.</summary>
    public static List<MetricSample> Parse(string text, params string[] prefixes)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<MetricSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#' || !prefixes.Any(p => line.StartsWith(p, StringComparison.Ordinal))) continue;
            if (TryParse(line) is { } s) samples.Add(s);
        }

        return samples;
    }

    private static MetricSample? TryParse(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (i < line.Length && line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"') return null;
                var key = line[i..eq].Trim();
                var value = new StringBuilder();
                var j = eq + 2;
                for (; j < line.Length && line[j] != '"'; j++)
                {
                    if (line[j] == '\\' && j + 1 < line.Length)
                    {
                        j++;
                        value.Append(line[j] == 'n' ? '\n' : line[j]);
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                }

                if (j >= line.Length) return null;
                labels[key] = value.ToString();
                i = j + 1;
                if (i < line.Length && line[i] == ',') i++;
            }

            i++;
        }

        var rest = i < line.Length ? line[i..].Trim() : "";
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        var number = space < 0 ? rest : rest[..space]; // a timestamp may follow
        var value2 = number switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : (double?)null,
        };
        return value2 is { } val && name.Length > 0 ? new MetricSample(name, labels, val) : null;
    }
}

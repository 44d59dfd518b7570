using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Streams.Reporting.Report;

/// <summary>
/// Any JSON a summary section holds, as HTML tables: an object is a table of names and values (nested objects as
/// nested tables), an array of objects a table with a column per name, an array of scalars one comma-separated cell.
/// Sections come from operators the report does not know, so it draws whatever shape they have.
/// </summary>
internal static class JsonHtml
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Text for HTML: the five markup characters escaped, the rest left as UTF-8 (WebUtility would write ± as &amp;#177;).</summary>
    public static string Escape(string? text) => (text ?? "")
        .Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("\"", "&quot;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);

    /// <summary>A scalar as text: integers as they are, other numbers to 4 significant digits, strings escaped.</summary>
    public static string Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number when e.TryGetInt64(out var n) => n.ToString("N0", Inv),
        JsonValueKind.Number => Number(e.GetDouble()),
        JsonValueKind.String => Escape(e.GetString()),
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Null or JsonValueKind.Undefined => "<span class=\"dim\">-</span>",
        _ => Escape(e.GetRawText()),
    };

    public static string Number(double v) =>
        !double.IsFinite(v) ? v.ToString(Inv) : v == Math.Floor(v) && Math.Abs(v) < 1e15 ? v.ToString("N0", Inv) : v.ToString("G4", Inv);

    public static void Write(StringBuilder html, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                html.Append("<table class=\"kv\">");
                foreach (var p in e.EnumerateObject())
                {
                    html.Append("<tr><th>").Append(Escape(Words(p.Name))).Append("</th><td>");
                    Write(html, p.Value);
                    html.Append("</td></tr>");
                }

                html.Append("</table>");
                break;
            case JsonValueKind.Array when e.GetArrayLength() > 0 && e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Object):
                Rows(html, [.. e.EnumerateArray()]);
                break;
            case JsonValueKind.Array:
                html.Append(e.GetArrayLength() == 0 ? "<span class=\"dim\">none</span>" : string.Join(", ", e.EnumerateArray().Select(x => x.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? Escape(x.GetRawText()) : Scalar(x))));
                break;
            default:
                html.Append(Scalar(e));
                break;
        }
    }

    /// <summary>Objects as rows of one table, a column for every name any of them has.</summary>
    public static void Rows(StringBuilder html, IReadOnlyList<JsonElement> rows)
    {
        var columns = rows.SelectMany(r => r.EnumerateObject().Select(p => p.Name)).Distinct(StringComparer.Ordinal).ToList();
        html.Append("<table class=\"rows\"><tr>");
        foreach (var c in columns) html.Append("<th>").Append(Escape(Words(c))).Append("</th>");
        html.Append("</tr>");
        foreach (var r in rows)
        {
            html.Append("<tr>");
            foreach (var c in columns)
            {
                html.Append(r.TryGetProperty(c, out var v) && v.ValueKind is JsonValueKind.Number ? "<td class=\"n\">" : "<td>");
                if (r.TryGetProperty(c, out v)) Write(html, v);
                html.Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
    }

    /// <summary>camelCase as words: "eventsLost" -> "events lost", "p50Seconds" -> "p50 seconds".</summary>
    public static string Words(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && !char.IsUpper(name[i - 1]))
            {
                sb.Append(' ');
            }

            sb.Append(i > 0 && char.IsUpper(c) && (i + 1 >= name.Length || !char.IsUpper(name[i + 1])) ? char.ToLowerInvariant(c) : c);
        }

        return sb.ToString();
    }
}

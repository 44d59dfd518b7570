using System.Globalization;
using System.Net;

namespace Streams.Transports.Ejfat.ControlPlane;

/// <summary>
/// An EJFAT URI, as udplbd's Reserve returns it and E2SAR reads it:
/// <c>ejfat[s]://[TOKEN@]HOST:PORT/lb/ID[?data=HOST[:PORT]&amp;sync=HOST:PORT]</c>. <c>ejfats</c> means TLS to the
/// control plane; the token is the instance token (admin or session tokens are passed the same way); the data address
/// is where senders send (port 19522 unless given), the sync address where they send Sync packets. IPv6 hosts are
/// written in brackets. Parsing is strict and says what is wrong in one line.
/// </summary>
internal sealed record EjfatUri(bool Tls, string? Token, string ControlHost, int ControlPort, string? LbId, IPEndPoint? Data, IPEndPoint? Sync)
{
    /// <summary>The data plane's port when the URI gives none (E2SAR's DATAPLANE_PORT).</summary>
    public const int DefaultDataPort = 19522;

    /// <summary>The control plane's gRPC address (http or https).</summary>
    public Uri ControlAddress => new($"{(Tls ? "https" : "http")}://{Bracket(ControlHost)}:{ControlPort.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> with the reason.</summary>
    public static EjfatUri Parse(string text) => TryParse(text, out var uri, out var error) ? uri! : throw new FormatException(error);

    /// <summary>Parses <paramref name="text"/>; false with a one-line <paramref name="error"/> when it is not an EJFAT URI.</summary>
    public static bool TryParse(string? text, out EjfatUri? uri, out string? error)
    {
        uri = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) return Fail(out error, text, "empty");
        var tls = text.StartsWith("ejfats://", StringComparison.Ordinal);
        if (!tls && !text.StartsWith("ejfat://", StringComparison.Ordinal)) return Fail(out error, text, "the scheme must be ejfat:// or ejfats://");
        var rest = text[(tls ? "ejfats://".Length : "ejfat://".Length)..];
        var query = "";
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash >= 0 ? rest[..slash] : rest;
        var path = slash >= 0 ? rest[slash..] : "";
        string? token = null;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            token = Uri.UnescapeDataString(authority[..at]);
            authority = authority[(at + 1)..];
            if (token.Length == 0) return Fail(out error, text, "an empty token before '@'");
        }

        if (!SplitHostPort(authority, out var host, out var port, required: true)) return Fail(out error, text, $"control plane '{authority}' is not HOST:PORT");
        string? lbId = null;
        if (path.Length > 0 && path != "/")
        {
            if (!path.StartsWith("/lb/", StringComparison.Ordinal) || path.Length == 4 || path[4..].Contains('/', StringComparison.Ordinal)) return Fail(out error, text, $"path '{path}' is not /lb/ID");
            lbId = Uri.UnescapeDataString(path[4..]);
        }

        IPEndPoint? data = null, sync = null;
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var (key, value) = eq < 0 ? (pair, "") : (pair[..eq], Uri.UnescapeDataString(pair[(eq + 1)..]));
            switch (key)
            {
                case "data":
                    if (!SplitHostPort(value, out var dh, out var dp, required: false) || !IPAddress.TryParse(dh, out var da)) return Fail(out error, text, $"data address '{value}' is not IP[:PORT]");
                    data = new IPEndPoint(da, dp ?? DefaultDataPort);
                    break;
                case "sync":
                    if (!SplitHostPort(value, out var sh, out var sp, required: true) || !IPAddress.TryParse(sh, out var sa)) return Fail(out error, text, $"sync address '{value}' is not IP:PORT");
                    sync = new IPEndPoint(sa, sp!.Value);
                    break;
                default:
                    return Fail(out error, text, $"unknown query key '{key}' (data, sync)");
            }
        }

        uri = new EjfatUri(tls, token, host, port!.Value, lbId, data, sync);
        return true;
    }

    /// <summary>The URI in its canonical form (what <see cref="Parse"/> reads back to an equal value).</summary>
    public override string ToString()
    {
        var s = $"{(Tls ? "ejfats" : "ejfat")}://{(Token is null ? "" : Uri.EscapeDataString(Token) + "@")}{Bracket(ControlHost)}:{ControlPort.ToString(CultureInfo.InvariantCulture)}";
        if (LbId is not null) s += $"/lb/{Uri.EscapeDataString(LbId)}";
        var query = new List<string>();
        if (Data is not null) query.Add($"data={Data}");
        if (Sync is not null) query.Add($"sync={Sync}");
        return query.Count == 0 ? s : $"{s}?{string.Join('&', query)}";
    }

    private static bool Fail(out string error, string? text, string why)
    {
        error = $"'{text}' is not an EJFAT URI ({why}; expected ejfat[s]://[TOKEN@]HOST:PORT/lb/ID[?data=HOST[:PORT]&sync=HOST:PORT])";
        return false;
    }

    private static string Bracket(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;

    /// <summary>HOST:PORT, [IPv6]:PORT, or (when the port is not required) HOST / [IPv6] alone.</summary>
    private static bool SplitHostPort(string text, out string host, out int? port, bool required)
    {
        host = "";
        port = null;
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) return false;
            host = text[1..close];
            portText = text[(close + 1)..];
            if (portText.Length > 0 && portText[0] != ':') return false;
            portText = portText.Length > 0 ? portText[1..] : "";
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) != colon) return false; // a bare IPv6 address needs brackets
            host = colon >= 0 ? text[..colon] : text;
            portText = colon >= 0 ? text[(colon + 1)..] : "";
        }

        if (host.Length == 0) return false;
        if (portText.Length == 0) return !required;
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535) return false;
        port = p;
        return true;
    }
}

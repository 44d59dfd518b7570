using System.Globalization;

namespace Streams.Engine.Spec;

/// <summary>A <c>HOST:PORT</c> to listen on (<c>metrics.listen</c>, <c>--metrics-listen</c>), or <c>off</c>.</summary>
public readonly record struct ListenAddress(string Host, int Port)
{
    public static bool IsOff(string value) => string.Equals(value, "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses HOST:PORT (IPv6 hosts in brackets); returns an error message, or null when it parsed. With <paramref name="anyPort"/>, port 0 (any free port) is allowed.</summary>
    public static string? TryParse(string value, out ListenAddress address, bool anyPort = false)
    {
        ArgumentNullException.ThrowIfNull(value);
        address = default;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1) return $"'{value}' is not HOST:PORT (for example 127.0.0.1:9464, 0.0.0.0:9464, or 'off')";
        if (!int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < (anyPort ? 0 : 1) || port > 65535)
        {
            return $"'{value}': port must be a number from {(anyPort ? "0 (any free port)" : "1")} to 65535";
        }

        address = new ListenAddress(value[..colon].Trim('[', ']'), port);
        return null;
    }

    /// <summary>Parses HOST:PORT and resolves the host (a name, an IP, or localhost); returns an error message or null. With <paramref name="anyPort"/>, port 0 is allowed.</summary>
    public static string? TryResolve(string value, out System.Net.IPEndPoint? endpoint, bool anyPort = false)
    {
        endpoint = null;
        if (TryParse(value, out var a, anyPort) is { } error) return error;
        var ip = a.Host == "localhost" ? System.Net.IPAddress.Loopback : System.Net.IPAddress.TryParse(a.Host, out var parsed) ? parsed : null;
        if (ip is null)
        {
            try
            {
                ip = System.Net.Dns.GetHostAddresses(a.Host).FirstOrDefault();
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
        }

        if (ip is null) return $"cannot resolve '{a.Host}'";
        endpoint = new System.Net.IPEndPoint(ip, a.Port);
        return null;
    }
}

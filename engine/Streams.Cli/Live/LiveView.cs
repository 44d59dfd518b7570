using System.Net;
using System.Reflection;
using Streams.Engine.Metrics;

namespace Streams.Cli.Live;

/// <summary>
/// The live web view's two resources on the metrics endpoint: the page (<c>/</c>, one self-contained HTML file
/// embedded in the binary: inline CSS and script, SVG drawn by the script, nothing fetched but its own JSON) and
/// <c>/api/snapshot</c>, the JSON document the page polls about once a second.
/// </summary>
internal static class LiveView
{
    /// <summary>The page's path and the JSON document's.</summary>
    public const string PagePath = "/", SnapshotPath = "/api/snapshot";

    // The page may run only its own inline script and style and talk only to its own origin: no CDN, no other host.
    private const string PagePolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Lazy<byte[]> Page = new(LoadPage);

    /// <summary>Whether <paramref name="path"/> is one of the view's resources.</summary>
    public static bool Serves(string path) => path is PagePath or "/index.html" or SnapshotPath;

    /// <summary>Answers a GET (or HEAD: headers only) for <paramref name="path"/>.</summary>
    public static async Task ServeAsync(string path, ILiveSource source, MetricsRegistry registry, HttpListenerResponse response, bool headOnly)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers["Cache-Control"] = "no-store";
        response.Headers["X-Content-Type-Options"] = "nosniff";
        byte[] body;
        if (path == SnapshotPath)
        {
            response.ContentType = "application/json; charset=utf-8";
            var metrics = await registry.ExportTextAsync().ConfigureAwait(false);
            body = LiveDocument.Build(source, metrics).ToUtf8Json();
        }
        else
        {
            response.ContentType = "text/html; charset=utf-8";
            response.Headers["Content-Security-Policy"] = PagePolicy;
            body = Page.Value;
        }

        response.StatusCode = (int)HttpStatusCode.OK;
        response.ContentLength64 = body.Length;
        if (!headOnly) await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
    }

    private static byte[] LoadPage()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("live.html")
            ?? throw new InvalidOperationException("the live view's page (live.html) is not embedded in this build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

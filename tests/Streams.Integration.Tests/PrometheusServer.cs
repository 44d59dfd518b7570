using System.Globalization;
using System.Text.Json;

namespace Streams.Integration.Tests;

/// <summary>A real Prometheus server (the Debian package, installed by tests/run-all.sh) for tests, and its query API.</summary>
internal static class PrometheusServer
{
    /// <summary>Starts Prometheus with <paramref name="config"/>, serving its API on 127.0.0.1:<paramref name="port"/>.</summary>
    public static ChildProcess Start(string config, string storage, int port) =>
        ChildProcess.Start(FindPrometheus(), [$"--config.file={config}", $"--storage.tsdb.path={storage}", $"--web.listen-address=127.0.0.1:{port}"], name: "prometheus");

    public static async Task<double> WaitForValueAsync(HttpClient http, string query, Func<double, bool> accept)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await http.GetStringAsync($"api/v1/query?query={Uri.EscapeDataString(query)}");
                using var doc = JsonDocument.Parse(last);
                var result = doc.RootElement.GetProperty("data").GetProperty("result");
                if (result.GetArrayLength() > 0)
                {
                    var v = double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                    if (accept(v)) return v;
                }
            }
            catch (HttpRequestException)
            {
                // Prometheus still starting
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"Prometheus never returned an acceptable value for {query}; last answer: {last}");
    }

    public static string FindPrometheus()
    {
        foreach (var p in new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" })
        {
            if (File.Exists(p)) return p;
        }

        throw new InvalidOperationException("prometheus is not installed: run tests through tests/run-all.sh, which installs the Debian 'prometheus' package");
    }
}

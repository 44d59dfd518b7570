using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Streams.Integration.Tests;

/// <summary>
/// A real Prometheus server (the Debian package, installed by tests/run-all.sh) scrapes a running `streams run` and
/// its query API must show the pipeline's counters rising.
/// </summary>
public sealed class PrometheusTests(TempDir dir) : IClassFixture<TempDir>
{
    [Fact]
    public async Task Prometheus_scrapes_live_pipeline_metrics()
    {
        var prometheus = FindPrometheus();
        var metricsPort = Ports.Free();
        var promPort = Ports.Free();
        var config = dir.Write("prometheus.yml", $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: streams
                static_configs:
                  - targets: ['127.0.0.1:{metricsPort}']
            """);
        var pipeline = dir.Write("endless.yaml", """
            name: scraped
            sources: [{name: gen, operator: synthetic, config: {batch-size: 64}}]
            stages: [{name: work, operator: cpu-burn, input: gen, workers: 2, config: {work-us: 20}}]
            sinks: [{name: out, operator: count, input: work}]
            """);

        using var streams = StreamsProcess.Start("run", pipeline, "--metrics-listen", $"127.0.0.1:{metricsPort}", "--progress", "none", "--summary-json", dir.File("summary.json"));
        await streams.WaitForOutputAsync("metrics at", 60);

        var psi = new ProcessStartInfo(prometheus)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { $"--config.file={config}", $"--storage.tsdb.path={dir.File("tsdb")}", $"--web.listen-address=127.0.0.1:{promPort}" }) psi.ArgumentList.Add(a);
        using var prom = Process.Start(psi)!;
        prom.BeginErrorReadLine();
        prom.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{promPort}/"), Timeout = TimeSpan.FromSeconds(5) };
            var first = await WaitForValueAsync(http, "streams_events_processed_total{pipeline=\"scraped\"}", v => v > 0);
            var later = await WaitForValueAsync(http, "streams_events_processed_total{pipeline=\"scraped\"}", v => v > first);
            Assert.True(later > first);
            Assert.Equal(1, await WaitForValueAsync(http, "up{job=\"streams\"}", v => v == 1));
            Assert.Equal(2, await WaitForValueAsync(http, "streams_stage_workers{stage=\"work\"}", v => v == 2));
            var rate = await WaitForValueAsync(http, "streams_stage_events_per_second{stage=\"work\"}", v => v > 0);
            Assert.True(rate > 0);
        }
        finally
        {
            prom.Kill();
            await prom.WaitForExitAsync();
        }

        streams.Signal("TERM");
        Assert.Equal(0, await streams.WaitAsync(60));
    }

    private static async Task<double> WaitForValueAsync(HttpClient http, string query, Func<double, bool> accept)
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

    private static string FindPrometheus()
    {
        foreach (var p in new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" })
        {
            if (File.Exists(p)) return p;
        }

        throw new InvalidOperationException("prometheus is not installed: run tests through tests/run-all.sh, which installs the Debian 'prometheus' package");
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

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
        using var held = Ports.HoldTcp(); // Prometheus cannot print a port it chose: the kit holds one for it
        var promPort = held.Port;
        var pipeline = dir.Write("endless.yaml", """
            name: scraped
            metrics: {listen: "127.0.0.1:0"}
            sources: [{name: gen, operator: synthetic, config: {batch-size: 64}}]
            stages: [{name: work, operator: cpu-burn, input: gen, workers: 2, config: {work-us: 20}}]
            sinks: [{name: out, operator: count, input: work}]
            """);

        using var streams = StreamsProcess.Start("run", pipeline, "--progress", "none", "--summary-json", dir.File("summary.json"));
        // Port 0 (the pipeline's metrics.listen): the command chooses a free port, binds it and prints it; the test reads it back.
        var at = await streams.Child.WaitForMatchAsync(new Regex(@"metrics at http://127\.0\.0\.1:(\d+)/"), 60);
        var metricsPort = int.Parse(at.Groups[1].Value, CultureInfo.InvariantCulture);

        var config = dir.Write("prometheus.yml", $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: streams
                static_configs:
                  - targets: ['127.0.0.1:{metricsPort}']
            """);
        using var prom = PrometheusServer.Start(config, dir.File("tsdb"), promPort);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{promPort}/"), Timeout = TimeSpan.FromSeconds(5) };
            var first = await PrometheusServer.WaitForValueAsync(http, "streams_events_processed_total{pipeline=\"scraped\"}", v => v > 0);
            var later = await PrometheusServer.WaitForValueAsync(http, "streams_events_processed_total{pipeline=\"scraped\"}", v => v > first);
            Assert.True(later > first);
            Assert.Equal(1, await PrometheusServer.WaitForValueAsync(http, "up{job=\"streams\"}", v => v == 1));
            Assert.Equal(2, await PrometheusServer.WaitForValueAsync(http, "streams_stage_workers{stage=\"work\"}", v => v == 2));
            var rate = await PrometheusServer.WaitForValueAsync(http, "streams_stage_events_per_second{stage=\"work\"}", v => v > 0);
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
}

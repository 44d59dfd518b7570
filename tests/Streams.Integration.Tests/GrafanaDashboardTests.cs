using System.Text.Json;
using System.Text.RegularExpressions;

namespace Streams.Integration.Tests;

/// <summary>
/// Every metric the Grafana dashboard queries is one that running pipelines really serve: two runs that between them
/// use every part the dashboard shows (the embedded default with a control law: EJFAT receiving and the controller;
/// elastic-local: local worker processes sized by the controller) are scraped while they run, the coordinators at
/// their <c>--metrics-file</c> address and every worker process through the <c>--prometheus-sd</c> file Prometheus
/// would read, and the names they served are compared with the dashboard's PromQL.
/// </summary>
public sealed partial class GrafanaDashboardTests(TempDir dir) : IClassFixture<TempDir>
{
    [Fact]
    public async Task Every_metric_the_dashboard_queries_is_served_by_a_running_pipeline()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(StreamsProcess.RepoRoot, "deploy", "grafana", "streams-dashboard.json")));
        var queried = doc.RootElement.GetProperty("panels").EnumerateArray().SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .SelectMany(t => MetricName().Matches(t.GetProperty("expr").GetString()!).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);
        Assert.True(queried.Count >= 15, $"only {queried.Count} metrics queried");

        var work = Directory.CreateDirectory(dir.File("dashboard-runs")).FullName;
        var (elasticAddr, defaultAddr, sd) = (Path.Combine(work, "elastic.addr"), Path.Combine(work, "default.addr"), Path.Combine(work, "sd", "targets.json"));
        using var elastic = StreamsProcess.StartIn(work, "run", Path.Combine(StreamsProcess.RepoRoot, "deploy", "pipelines", "elastic-local.yaml"),
            "--listen", $"tcp://127.0.0.1:{Ports.Free()}", "--duration", "20", "--progress", "none",
            "--metrics-listen", "127.0.0.1:0", "--metrics-file", elasticAddr, "--prometheus-sd", sd);
        using var embedded = StreamsProcess.StartIn(work, "run", "--control", "queue-model", "--duration", "15", "--progress", "none", "--report", "off",
            "--metrics-listen", "127.0.0.1:0", "--metrics-file", defaultAddr);

        var served = new HashSet<string>(StringComparer.Ordinal);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (!(elastic.Child.HasExited && embedded.Child.HasExited))
        {
            foreach (var target in Targets(elasticAddr, defaultAddr, sd))
            {
                try
                {
                    var text = await http.GetStringAsync(new Uri($"http://{target}/metrics"));
                    served.UnionWith(SampleName().Matches(text).Select(m => m.Groups[1].Value));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // A worker process that has just left, or a run that is closing: the next round reads the others.
                }
            }

            // The next round once a run ends or a quarter second passes (waiting on the runs' exit, not sleeping).
            var running = elastic.Child.HasExited ? embedded.Child : elastic.Child;
            using var round = new CancellationTokenSource(250);
            await running.WaitForExitAsync(round.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        Assert.True(await elastic.WaitAsync(60) == 0, elastic.Stderr);
        Assert.True(await embedded.WaitAsync(60) == 0, embedded.Stderr);
        var missing = queried.Where(q => !served.Contains(q)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, $"the dashboard queries metrics no running pipeline served: {string.Join(", ", missing)}");
    }

    /// <summary>HOST:PORT of both runs (once announced) and of every target in the discovery file (worker processes).</summary>
    private static List<string> Targets(string elasticAddr, string defaultAddr, string sd)
    {
        var targets = new List<string>();
        foreach (var f in new[] { elasticAddr, defaultAddr })
        {
            if (File.Exists(f) && File.ReadAllText(f).Trim() is { Length: > 0 } a) targets.Add(a);
        }

        try
        {
            if (File.Exists(sd))
            {
                using var json = JsonDocument.Parse(File.ReadAllText(sd));
                targets.AddRange(json.RootElement.EnumerateArray().SelectMany(g => g.GetProperty("targets").EnumerateArray()).Select(t => t.GetString()!));
            }
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            // Written whole by rename, but read between two rounds it may be gone for a moment.
        }

        return [.. targets.Distinct(StringComparer.Ordinal)];
    }

    [GeneratedRegex(@"\bstreams_[a-z_]+")]
    private static partial Regex MetricName();

    /// <summary>A sample line's metric name (histograms serve NAME_bucket, NAME_sum, NAME_count; the dashboard queries those).</summary>
    [GeneratedRegex(@"^(streams_[a-z_]+)[{ ]", RegexOptions.Multiline)]
    private static partial Regex SampleName();
}

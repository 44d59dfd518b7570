using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Streams.Integration.Tests;

/// <summary>The facility assets parse and carry what JIRIAF and SLURM need (no API server or Perlmutter runs here).</summary>
public sealed class DeployAssetTests
{
    private static string Deploy(params string[] parts) => Path.Combine([StreamsProcess.RepoRoot, "deploy", .. parts]);

    private static List<YamlMappingNode> Documents(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    [Fact]
    public void The_worker_deployment_targets_jrm_nodes_as_jiriaf_does()
    {
        var doc = Assert.Single(Documents(Deploy("k8s", "workers.yaml")));
        var text = File.ReadAllText(Deploy("k8s", "workers.yaml"));
        Assert.Equal("Deployment", doc["kind"].ToString());
        Assert.Contains("kubernetes.io/role: agent", text, StringComparison.Ordinal);
        Assert.Contains("virtual-kubelet.io/provider", text, StringComparison.Ordinal);
        foreach (var key in new[] { "jiriaf.site", "jiriaf.nodetype", "jiriaf.alivetime" }) Assert.Contains(key, text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_coordinator_manifests_are_a_deployment_a_service_and_a_service_monitor()
    {
        var kinds = Documents(Deploy("k8s", "coordinator.yaml")).Select(d => d["kind"].ToString()).ToList();
        Assert.Equal(["Deployment", "Service", "ServiceMonitor"], kinds);
    }

    [Fact]
    public void The_perlmutter_pilot_is_valid_bash_and_drains_before_its_walltime()
    {
        var path = Deploy("slurm", "perlmutter-pilot.sbatch");
        using var p = Process.Start("bash", ["-n", path])!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        var text = File.ReadAllText(path);
        Assert.Contains("#SBATCH --signal=B:TERM@", text, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --constraint=cpu", text, StringComparison.Ordinal);
        Assert.Contains("exec shifter --image=", text, StringComparison.Ordinal);
        foreach (var v in new[] { "NODENAME", "KUBECONFIG", "JIRIAF_WALLTIME", "JIRIAF_NODETYPE", "JIRIAF_SITE" }) Assert.Contains(v, text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_grafana_dashboard_shows_what_operators_need_from_metrics_streams_exports()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Deploy("grafana", "streams-dashboard.json")));
        var panels = doc.RootElement.GetProperty("panels").EnumerateArray().ToList();
        var titles = string.Join(" | ", panels.Select(p => p.GetProperty("title").GetString()));
        foreach (var topic in new[] { "Throughput per stage", "Queue depth", "Workers", "Nodes by state", "EJFAT events lost by reason", "Controller decisions" })
        {
            Assert.Contains(topic, titles, StringComparison.Ordinal);
        }

        // Every metric a panel queries is one Streams defines (a renamed metric would leave a panel empty).
        var source = string.Join("\n", new[] { "engine", "transports", "operators" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(StreamsProcess.RepoRoot, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var queried = panels.SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .SelectMany(t => Regex.Matches(t.GetProperty("expr").GetString()!, @"\bstreams_[a-z_]+").Select(m => m.Value)).Distinct().ToList();
        Assert.True(queried.Count >= 15, $"only {queried.Count} metrics queried");
        Assert.All(queried, m => Assert.Contains($"\"{m}\"", source, StringComparison.Ordinal));

        // Every query is valid PromQL: promtool checks them as recording rules ($pipeline as the regex Grafana fills in).
        var exprs = panels.SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!.Replace("$pipeline", ".*", StringComparison.Ordinal)).ToList();
        var rules = Path.Combine(Path.GetTempPath(), $"streams-dashboard-{Guid.NewGuid():N}.yml");
        File.WriteAllLines(rules, ["groups:", "  - name: dashboard", "    rules:", .. exprs.SelectMany((e, i) => new[] { $"      - record: dashboard_expr_{i}", $"        expr: {JsonSerializer.Serialize(e)}" })]);
        var (code, output) = Promtool("check", "rules", rules);
        File.Delete(rules);
        Assert.True(code == 0, output);
        Assert.Contains($"{exprs.Count} rules found", output, StringComparison.Ordinal);
    }

    private static (int Code, string Output) Promtool(params string[] args) =>
        ExternalCommand.Run(Path.Combine(Path.GetDirectoryName(PrometheusServer.FindPrometheus())!, "promtool"), null, 60, args);

    [Fact]
    public void The_prometheus_config_is_valid_and_discovers_workers_from_the_file_streams_writes()
    {
        var (code, output) = Promtool("check", "config", Deploy("prometheus", "prometheus.yml"));
        Assert.True(code == 0, output);
        Assert.Contains("file_sd_configs", File.ReadAllText(Deploy("prometheus", "prometheus.yml")), StringComparison.Ordinal);
    }
}

using System.Globalization;
using System.Text.Json;
using Streams.Engine.Runtime;

namespace Streams.Integration.Tests;

/// <summary>
/// Elastic nodes behind the load balancer: a control process that owns no data (`streams run` of a file with only a
/// `control:` section naming a node pipeline) reads the load balancer's Status and the nodes' metrics, and the
/// controller starts node pipelines (local provider) that register, take slots, drain and leave; zero lost.
/// </summary>
public sealed partial class LoadBalancerCliTests
{
    /// <summary>A node pipeline whose capacity does not depend on how busy the machine is: 1 ms per event, one thread (1000 events/s).</summary>
    private const string WaitNode = """
        name: wait-node
        sources:
          - name: receiver
            operator: ejfat-receiver
            config: {bind: 127.0.0.1, port: 0, port-range: 0, threads: 1, batch-size: 8, flush-ms: 5, setpoint: 0, kp: 400, signal-limit: 200, drain-quiet-ms: 500}
        stages:
          - name: work
            operator: cpu-burn
            input: receiver
            queue: 4000
            workers: 1
            max-workers: 1
            config: {work-us: 1000, mode: wait}
        sinks:
          - name: count
            operator: count
            input: work
        """;

    [Fact]
    public async Task The_control_process_starts_node_pipelines_for_a_rising_load_and_drains_them_when_it_falls_and_none_is_lost()
    {
        var (lb, uri) = await StartLbAsync("elastic");
        using var lbLifetime = lb;
        var work = dir.File("elastic-run");
        Directory.CreateDirectory(work);
        var node = Path.Combine(work, "wait-node.yaml");
        await File.WriteAllTextAsync(node, WaitNode);
        var control = Path.Combine(work, "elastic.yaml");
        await File.WriteAllTextAsync(control, """
            name: elastic-test
            control:
              law: queue-model
              interval: 1
              node-pipeline: wait-node.yaml
              node-provider: local
              node-cores: 1
              min-nodes: 1
              max-nodes: 2
              service-rate: 1000
              queue-target: 300
              boot-seconds: 4
              min-lifetime: 2
              down-window: 3
              smoothing-seconds: 2
            """);
        var (summary, sd) = (Path.Combine(work, "control.json"), Path.Combine(work, "targets.json"));
        using var ctl = StreamsProcess.StartIn(work, "run", control, "--lb", uri, "--metrics-listen", "127.0.0.1:0", "--prometheus-sd", sd,
            "--summary-json", summary, "--progress", "log", "--progress-interval", "2");

        // min-nodes 1: the first node pipeline starts, registers and gets every slot.
        await Eventually.UntilAsync(async () => (await ServingAsync(uri)).Count == 1, "the first node serves");
        var first = (await ServingAsync(uri))[0];
        // 1600 events/s against one node's 1000: the queue grows, the controller asks for a second node.
        using var send = StreamsProcess.Start("send", "--lb", uri, "--count", "0", "--duration", "300", "--rate", "1600", "--event-size", "2000");
        await Eventually.UntilAsync(async () => (await ServingAsync(uri)).Count == 2, $"a second node serves\n{ctl.Stderr}");
        Assert.Contains("requested node", ctl.Stderr, StringComparison.Ordinal);
        var second = (await ServingAsync(uri)).First(n => n != first);
        await Eventually.UntilAsync(async () => await MemberAsync(uri, second, "totalEventsRecv") >= 500, "the second node takes its share");

        // Both nodes are listed for Prometheus (role node) beside the control process, and answer a scrape.
        await Eventually.Until(() => File.Exists(sd) && JsonDocument.Parse(File.ReadAllText(sd)).RootElement.EnumerateArray().Count(g => g.GetProperty("labels").GetProperty("role").GetString() == "node") == 2, "two node targets in the service discovery file");
        var target = JsonDocument.Parse(await File.ReadAllTextAsync(sd)).RootElement.EnumerateArray().First(g => g.GetProperty("labels").GetProperty("role").GetString() == "node").GetProperty("targets")[0].GetString();
        using (var http = new HttpClient())
        {
            Assert.Contains("streams_events_processed_total", await http.GetStringAsync(new Uri($"http://{target}/metrics")), StringComparison.Ordinal);
        }

        // The load falls to nothing: the controller releases a node with drain; it deregisters and leaves.
        send.Signal("TERM");
        Assert.True(await send.WaitAsync(60) == 0, send.Stderr);
        var sent = long.Parse(System.Text.RegularExpressions.Regex.Match(send.Stdout, @"sent (\d+) events").Groups[1].Value, CultureInfo.InvariantCulture);
        await Eventually.UntilAsync(async () => ctl.Stderr.Contains("with drain (queue-model", StringComparison.Ordinal) && (await ServingAsync(uri)).Count == 1,
            $"one node is released and leaves\n{ctl.Stderr}");

        // The control process stops: the last node drains too, and the books of every node balance against the sender.
        ctl.Signal("TERM");
        Assert.True(await ctl.WaitAsync(120) == ExitCodes.Ok, ctl.Stderr);
        var s = JsonDocument.Parse(await File.ReadAllTextAsync(summary)).RootElement;
        Assert.True(s.GetProperty("ok").GetBoolean(), s.ToString());
        Assert.True(s.GetProperty("nodes").GetProperty("requested").GetInt32() >= 2 && s.GetProperty("nodes").GetProperty("joined").GetInt32() >= 2, s.ToString());
        Assert.Equal(sent, s.GetProperty("events").GetProperty("received").GetInt64());
        Assert.Equal(sent, s.GetProperty("events").GetProperty("processed").GetInt64());
        Assert.Equal(0, s.GetProperty("events").GetProperty("lost").GetInt64());
        Assert.All(s.GetProperty("members").EnumerateArray(), m => Assert.True(m.GetProperty("ok").GetBoolean(), m.ToString()));
        Assert.Empty((await ServingAsync(uri)));
    }

    [Fact]
    public async Task A_control_process_without_a_load_balancer_or_with_a_broken_node_pipeline_says_so_in_one_line()
    {
        var work = dir.File("elastic-bad");
        Directory.CreateDirectory(work);
        await File.WriteAllTextAsync(Path.Combine(work, "node.yaml"), WaitNode.Replace("cpu-burn", "cpu-brun", StringComparison.Ordinal));
        var control = Path.Combine(work, "elastic.yaml");
        await File.WriteAllTextAsync(control, "control:\n  node-pipeline: node.yaml\n  node-provider: local\n  service-rate: 1000\n");
        var (code, _, stderr) = await StreamsProcess.RunInAsync(60, work, "run", control);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("give --lb URI", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await StreamsProcess.RunInAsync(60, work, "run", control, "--lb", "ejfat://t@127.0.0.1:1/lb/1?data=127.0.0.1:2");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("node.yaml:", stderr, StringComparison.Ordinal);
        Assert.Contains("cpu-brun", stderr, StringComparison.Ordinal);
    }

    /// <summary>Members the load balancer gives slots to now.</summary>
    private static async Task<List<string>> ServingAsync(string uri)
    {
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(30, "lb", "status", "--control", ControlOf(uri), "--token", Admin, "--json");
        Assert.True(code == 0, stderr);
        return [.. JsonDocument.Parse(stdout).RootElement[0].GetProperty("status").GetProperty("workers").EnumerateArray()
            .Where(w => w.TryGetProperty("slotsAssigned", out var v) && v.GetInt64() > 0).Select(w => w.GetProperty("name").GetString()!)];
    }
}

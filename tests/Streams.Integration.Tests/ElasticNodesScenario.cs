using System.Globalization;
using System.Text.Json;
using Streams.Engine.Runtime;

namespace Streams.Integration.Tests;

/// <summary>
/// Elastic nodes behind the load balancer, end to end: `streams lb`, a control process that owns no data (`streams run`
/// of a file with only a `control:` section naming a node pipeline), the node pipelines its provider starts (local
/// processes or SLURM pilot jobs), and `streams send`. The load rises past one node (a second one is started, registers
/// and takes slots), then falls (one is released with drain and leaves), then the control process stops (the last one
/// drains); every event sent is received and processed by exactly one node.
/// </summary>
internal static class ElasticNodesScenario
{
    /// <summary>A node pipeline whose capacity does not depend on how busy the machine is: 1 ms per event, one thread (1000 events/s).</summary>
    public const string WaitNode = """
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

    public static async Task RunAsync(TempDir dir, string provider, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (lb, uri) = await LbProcesses.StartAsync(dir, $"elastic-{provider}");
        using var lbLifetime = lb;
        var work = dir.File($"elastic-{provider}");
        Directory.CreateDirectory(work);
        await File.WriteAllTextAsync(Path.Combine(work, "wait-node.yaml"), WaitNode);
        var control = Path.Combine(work, "elastic.yaml");
        await File.WriteAllTextAsync(control, $"""
            name: elastic-test
            control:
              law: queue-model
              interval: 1
              node-pipeline: wait-node.yaml
              node-provider: {provider}
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
        using var ctl = StreamsProcess.StartWith(work, environment, "run", control, "--lb", uri, "--metrics-listen", "127.0.0.1:0", "--prometheus-sd", sd,
            "--summary-json", summary, "--progress", "log", "--progress-interval", "2");
        long sent;
        try
        {
            sent = await Scenario(uri, ctl, sd);
            Assert.True(await ctl.WaitAsync(120) == ExitCodes.Ok, ctl.Stderr);
        }
        finally
        {
            if (provider == "slurm") CancelPilots(Path.Combine(work, "out", "nodes"), environment); // a failed run leaves no pilot behind
        }

        var s = JsonDocument.Parse(await File.ReadAllTextAsync(summary)).RootElement;
        Assert.True(s.GetProperty("ok").GetBoolean(), s.ToString());
        Assert.True(s.GetProperty("nodes").GetProperty("requested").GetInt32() >= 2 && s.GetProperty("nodes").GetProperty("joined").GetInt32() >= 2, s.ToString());
        Assert.Equal(sent, s.GetProperty("events").GetProperty("received").GetInt64());
        Assert.Equal(sent, s.GetProperty("events").GetProperty("processed").GetInt64());
        Assert.Equal(0, s.GetProperty("events").GetProperty("lost").GetInt64());
        Assert.All(s.GetProperty("members").EnumerateArray(), m => Assert.True(m.GetProperty("ok").GetBoolean(), m.ToString()));
        Assert.Empty(await LbProcesses.ServingAsync(uri));
        Assert.Contains("nodes received", ctl.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The steps while the stream flows; returns the events sent.</summary>
    private static async Task<long> Scenario(string uri, StreamsProcess ctl, string sd)
    {
        // min-nodes 1: the first node pipeline starts, registers and gets every slot.
        await Eventually.UntilAsync(async () => (await LbProcesses.ServingAsync(uri)).Count == 1, $"the first node serves\n{ctl.Stderr}");
        var first = (await LbProcesses.ServingAsync(uri))[0];
        // 1600 events/s against one node's 1000: the queue grows, the controller asks for a second node.
        using var send = StreamsProcess.Start("send", "--lb", uri, "--count", "0", "--duration", "300", "--rate", "1600", "--event-size", "2000");
        await Eventually.UntilAsync(async () => (await LbProcesses.ServingAsync(uri)).Count == 2, $"a second node serves\n{ctl.Stderr}");
        Assert.Contains("requested node", ctl.Stderr, StringComparison.Ordinal);
        var second = (await LbProcesses.ServingAsync(uri)).First(n => n != first);
        await Eventually.UntilAsync(async () => await LbProcesses.MemberAsync(uri, second, "totalEventsRecv") >= 500, "the second node takes its share");

        // Both nodes are listed for Prometheus (role node) beside the control process, and answer a scrape.
        static List<JsonElement> Nodes(string file) => File.Exists(file)
            ? [.. JsonDocument.Parse(File.ReadAllText(file)).RootElement.EnumerateArray().Where(g => g.GetProperty("labels").GetProperty("role").GetString() == "node")]
            : [];
        await Eventually.Until(() => Nodes(sd).Count == 2, "two node targets in the service discovery file");
        using (var http = new HttpClient())
        {
            var target = Nodes(sd)[0].GetProperty("targets")[0].GetString();
            Assert.Contains("streams_events_processed_total", await http.GetStringAsync(new Uri($"http://{target}/metrics")), StringComparison.Ordinal);
        }

        // The load falls to nothing: the controller releases a node with drain; it deregisters and leaves.
        send.Signal("TERM");
        Assert.True(await send.WaitAsync(60) == 0, send.Stderr);
        var sent = long.Parse(System.Text.RegularExpressions.Regex.Match(send.Stdout, @"sent (\d+) events").Groups[1].Value, CultureInfo.InvariantCulture);
        await Eventually.UntilAsync(async () => ctl.Stderr.Contains("with drain (queue-model", StringComparison.Ordinal) && (await LbProcesses.MembersAsync(uri)).Count == 1,
            $"one node is released and leaves\n{ctl.Stderr}");

        // The control process stops: the last node drains too.
        ctl.Signal("TERM");
        return sent;
    }

    /// <summary>scancel every pilot the control process still tracks (its state file).</summary>
    private static void CancelPilots(string nodes, IReadOnlyDictionary<string, string>? environment)
    {
        var state = Path.Combine(nodes, "slurm-jobs.json");
        if (!File.Exists(state)) return;
        var jobs = JsonDocument.Parse(File.ReadAllText(state)).RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        if (jobs.Length > 0) ExternalCommand.Run("scancel", environment, 60, jobs);
    }
}

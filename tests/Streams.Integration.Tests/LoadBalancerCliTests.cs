using System.Globalization;
using System.Text.Json;
using Streams.Engine.Runtime;

namespace Streams.Integration.Tests;

/// <summary>
/// The EJFAT way across processes: `streams lb` (control and data plane), node pipelines registered with it, and
/// `streams send --lb`: a node joins mid-run and another drains and leaves mid-run (SIGTERM), and every event sent is
/// received by exactly one node.
/// </summary>
public sealed partial class LoadBalancerCliTests(TempDir dir) : IClassFixture<TempDir>
{
    private const string Admin = LbProcesses.Admin;

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    private Task<(StreamsProcess Lb, string Uri)> StartLbAsync(string name) => LbProcesses.StartAsync(dir, name);

    private static StreamsProcess Node(string uri, string name, string summary) =>
        StreamsProcess.Start("receive", "--bind", "127.0.0.1", "--port", "0", "--lb", uri, "--name", name, "--duration", "600",
            "--progress", "log", "--summary-json", summary);

    private static PipelineSummary Summary(string path) => PipelineSummary.FromJson(File.ReadAllText(path));

    private static long Completed(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("ejfat").GetProperty("eventsCompleted").GetInt64();

    [Fact]
    public async Task A_node_joins_and_another_leaves_mid_run_and_every_sent_event_reaches_exactly_one_node()
    {
        var (lb, uri) = await StartLbAsync("join-leave");
        using var lbLifetime = lb;
        var (sa, sb) = (dir.File("node-a.json"), dir.File("node-b.json"));
        using var a = Node(uri, "node-a", sa);
        await a.WaitForOutputAsync("registered with load balancer", 60);
        await Eventually.UntilAsync(async () => await SlotsAsync(uri, "node-a") == 512, "node-a gets every slot");

        // A steady sender at 2000 events/s, well within what a node takes on a loaded two-core machine.
        // It sends until told to stop (SIGTERM), so that each step below happens while the stream flows, however slow the machine.
        using var send = StreamsProcess.Start("send", "--lb", uri, "--count", "0", "--duration", "300", "--rate", "2000", "--event-size", "20000");
        // The stream runs on one node before the other joins.
        await Eventually.UntilAsync(async () => await MemberAsync(uri, "node-a", "totalEventsRecv") >= 1000, "node-a receives 1000 events");
        using var b = Node(uri, "node-b", sb);
        await b.WaitForOutputAsync("registered with load balancer", 60);
        // b takes its share: the load balancer's status shows it with slots.
        await Eventually.UntilAsync(async () => await SlotsAsync(uri, "node-b") > 0, "node-b gets slots");
        await Eventually.UntilAsync(async () => await MemberAsync(uri, "node-b", "totalEventsRecv") >= 500, "node-b receives its share");

        a.Signal("TERM"); // a leaves mid-run: deregisters, takes what is still on its way, drains
        Assert.True(await a.WaitAsync(60) == 0, a.Stderr);
        var before = await MemberAsync(uri, "node-b", "totalEventsRecv");
        await Eventually.UntilAsync(async () => await MemberAsync(uri, "node-b", "totalEventsRecv") >= before + 500, "node-b alone takes the stream");
        send.Signal("TERM");
        Assert.True(await send.WaitAsync(60) == 0, send.Stderr);
        var sent = long.Parse(System.Text.RegularExpressions.Regex.Match(send.Stdout, @"sent (\d+) events").Groups[1].Value, CultureInfo.InvariantCulture);
        b.Signal("TERM"); // its drain takes what is still on its way
        Assert.True(await b.WaitAsync(60) == 0, b.Stderr);

        Assert.Contains("deregistered from load balancer", a.Stderr, StringComparison.Ordinal);
        Assert.Contains("drained:", a.Stderr, StringComparison.Ordinal);
        var (ra, rb) = (Completed(sa), Completed(sb));
        Assert.True(ra > 0 && rb > 0, $"both nodes received: a {ra}, b {rb}");
        Assert.True(ra + rb == sent, $"sent {sent}, received a {ra} + b {rb} = {ra + rb}\n--- a\n{a.Stderr}\n--- b\n{b.Stderr}\n--- lb\n{lb.Stderr}");
        foreach (var s in new[] { sa, sb })
        {
            var summary = Summary(s);
            Assert.Equal(summary.Events.Received, summary.Events.Processed);
            Assert.Equal(0, summary.Events.Discarded);
        }

        lb.Signal("TERM");
        Assert.Equal(0, await lb.WaitAsync(30));
        Assert.Matches(@"dropped 0 \(", lb.Stderr.Split('\n').Last(l => l.StartsWith("lb 1", StringComparison.Ordinal)));

        // The load balancer's own books, from the senders' Sync packets and the members' last states, say the same.
        var books = JsonDocument.Parse(await File.ReadAllTextAsync(dir.File("join-leave-lb.json"))).RootElement.GetProperty("instances")[0];
        Assert.Equal(sent, books.GetProperty("books").GetProperty("eventsSent").GetInt64());
        Assert.Equal(sent, books.GetProperty("books").GetProperty("eventsReassembledByMembers").GetInt64());
        var members = books.GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m);
        Assert.Equal(("deregistered", "deregistered"), (members["node-a"].GetProperty("state").GetString(), members["node-b"].GetProperty("state").GetString()));
        Assert.Equal(ra, members["node-a"].GetProperty("reported").GetProperty("eventsReassembled").GetInt64()); // its final counters, after the drain
        Assert.Equal(rb, members["node-b"].GetProperty("reported").GetProperty("eventsReassembled").GetInt64());
    }

    [Fact]
    public async Task A_sender_the_load_balancer_does_not_know_gets_nothing_through_and_the_drops_are_counted()
    {
        var (lb, uri) = await StartLbAsync("strangers");
        using var lbLifetime = lb;
        var summary = dir.File("stranger-node.json");
        using var node = Node(uri, "node-s", summary);
        await node.WaitForOutputAsync("registered with load balancer", 60);
        // Straight to the data address, without AddSenders: the data plane drops it all.
        var data = System.Text.RegularExpressions.Regex.Match(uri, @"data=([0-9.]+:\d+)").Groups[1].Value;
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "send", "--dest", data, "--count", "200", "--rate", "2000", "--event-size", "5000");
        Assert.True(code == 0, stderr);
        await Eventually.UntilAsync(async () =>
        {
            var (c, stdout, _) = await StreamsProcess.RunAsync(30, "lb", "status", "--control", ControlOf(uri), "--token", Admin, "--json");
            return c == 0 && stdout.Contains("\"name\": \"strangers\"", StringComparison.Ordinal);
        }, "status answers");
        await Eventually.Until(() => lb.Stderr.Contains("sender not allowed 200", StringComparison.Ordinal), "200 datagrams dropped as sender not allowed");
        node.Signal("TERM");
        Assert.Equal(ExitCodes.Failed, await node.WaitAsync(60)); // a node that got nothing did not do its job, and says so
        Assert.Contains("no events entered the pipeline", node.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, Completed(summary));
    }

    [Fact]
    public async Task An_unreachable_load_balancer_is_retried_and_reported_and_the_node_still_stops_cleanly()
    {
        var port = Ports.Free();
        var summary = dir.File("lonely-node.json");
        using var node = Node($"ejfat://token@127.0.0.1:{I(port)}/lb/1?data=127.0.0.1:19522", "node-l", summary);
        await node.WaitForOutputAsync("control plane unreachable", 60);
        Assert.False(node.Child.HasExited);
        node.Signal("TERM");
        Assert.Equal(ExitCodes.Failed, await node.WaitAsync(60));
        Assert.Contains("no events entered the pipeline", node.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", node.Stderr, StringComparison.Ordinal);
        // Reported once (with the backoff), not on every retry.
        Assert.Single(node.Stderr.Split('\n'), l => l.Contains("control plane unreachable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_readme_demo_runs_the_clas12_node_pipelines_behind_streams_lb_and_its_books_balance()
    {
        var env = new Dictionary<string, string>
        {
            ["STREAMS"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "streams.dll")}",
            ["OUT"] = dir.File("demo"),
            // Away from the demo's own ports (another demo may run on this machine) and from other tests' random ones.
            ["STREAMS_LB_PORT_BASE"] = I(Random.Shared.Next(1, 40) * 100 + 3000),
        };
        var (code, stdout, stderr) = await ChildProcess.RunAsync("bash", [Path.Combine(StreamsProcess.RepoRoot, "deploy", "lb", "demo.sh"), "10"], 300, StreamsProcess.RepoRoot, env);
        Assert.True(code == 0, $"{stdout}\n{stderr}");
        Assert.Contains("books balance: zero lost", stdout, StringComparison.Ordinal);
        Assert.Matches(@"\nb\s+[1-9]\d*\s", stdout); // node b got a share while it was there
        Assert.True(File.Exists(Path.Combine(dir.File("demo"), "a", "out", "node", "events.arrow")));
        Assert.Contains("physics:", await File.ReadAllTextAsync(Path.Combine(dir.File("demo"), "a.out")), StringComparison.Ordinal);
    }

    private static Task<long> SlotsAsync(string uri, string member) => LbProcesses.MemberAsync(uri, member, "slotsAssigned");

    private static Task<long> MemberAsync(string uri, string member, string field) => LbProcesses.MemberAsync(uri, member, field);

    private static string ControlOf(string uri) => LbProcesses.ControlOf(uri);
}

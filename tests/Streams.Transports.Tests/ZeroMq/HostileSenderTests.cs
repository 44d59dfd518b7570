using NetMQ;
using NetMQ.Sockets;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Framing;
using Streams.Transports.ZeroMq.Working;
using Streams.TestKit;

namespace Streams.Transports.Tests.ZeroMq;

/// <summary>
/// The receiving ends against hostile senders (raw NetMQ sockets over loopback TCP): a worker flooded by a coordinator
/// that sends junk, and a <c>zmq-pull</c> source fed malformed messages; both count what they drop and log little.
/// </summary>
public sealed class HostileSenderTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(90); // a safety net only: every wait below ends on an event

    private static OperatorCatalog Catalog() => Catalogs.Builtin();

    [Fact]
    public async Task A_worker_flooded_by_a_hostile_coordinator_logs_a_few_short_lines_and_counts_the_rest()
    {
        using var router = new RouterSocket();
        router.Options.Linger = TimeSpan.Zero;
        var port = router.BindRandomPort("tcp://127.0.0.1");
        var text = new StringWriter();
        using var host = new WorkerHost(new WorkerOptions { Join = $"tcp://127.0.0.1:{port}", Name = "w" }, Catalog(), new RunLog(TextWriter.Synchronized(text)));
        var running = host.RunAsync(CancellationToken.None);
        var hello = new NetMQMessage();
        Assert.True(router.TryReceiveMultipartMessage(Safety, ref hello));
        var id = hello[0].ToByteArray();
        var junk = new byte[1 << 20];
        for (var i = 0; i < 150; i++) router.SendMoreFrame(id).SendFrame(junk);
        for (var i = 0; i < 150; i++) router.SendMoreFrame(id).SendMoreFrame(Protocol.Welcome).SendFrame("{not json");
        router.SendMoreFrame(id).SendMoreFrame(Protocol.End).SendFrame(new string('e', 5_000_000));
        Assert.Equal(WorkerExit.Done, await running.WaitAsync(Safety));

        Assert.Equal(300, host.MalformedMessages);
        var lines = HostilePeerTests.Lines(text);
        Assert.True(lines.Length <= 12, $"{lines.Length} log lines:\n{string.Join('\n', lines.Take(30))}");
        Assert.All(lines, l => Assert.True(l.Length < 1000, $"a log line of {l.Length} chars"));
        Assert.Contains(lines, l => l.Contains("more messages from the coordinator not logged one by one", StringComparison.Ordinal)); // the last summary, at exit
    }

    [Fact]
    public async Task Zmq_pull_counts_malformed_messages_in_the_run_summary()
    {
        using var held = Ports.HoldTcp(); // held until the source binds it
        var port = held.Port;

        var loaded = PipelineLoader.Load($$$"""
            name: z
            sources: [{name: in, operator: zmq-pull, config: {bind: 'tcp://127.0.0.1:{{{port}}}', count: 20}}]
            sinks: [{name: out, operator: count, input: in}]
            """, "z.yaml");
        var catalog = Catalog();
        Streams.Transports.ZeroMq.Operators.ZeroMqOperators.Register(catalog);
        var planned = PipelinePlanner.Plan(loaded.Spec!, catalog);
        Assert.True(planned.Ok, string.Join("\n", planned.Diagnostics));
        using var pipeline = Pipeline.Create(planned.Plan!);
        var run = pipeline.RunAsync();
        using var push = new PushSocket();
        push.Options.Linger = TimeSpan.FromSeconds(5);
        push.Connect($"tcp://127.0.0.1:{port}");
        for (var i = 0; i < 7; i++) push.SendMoreFrame("not a header"u8.ToArray()).SendMoreFrame([]).SendFrame([]);
        push.SendFrame("one frame"u8.ToArray());
        for (var b = 0; b < 2; b++)
        {
            var header = new byte[BatchFrames.HeaderSize + 3];
            BatchFrames.WriteHeader(header, PayloadKind.Bytes, (ulong)b + 1, 10, "a/b"u8);
            push.SendMoreFrame(header).SendMoreFrame(new byte[10 * BatchFrames.MetaEntrySize]).SendFrame([]);
        }

        var summary = await run.WaitAsync(Safety);
        Assert.Equal(20, summary.Events.Processed);
        var zmq = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(summary.Sections!["zmq"])).RootElement;
        Assert.Equal(8, zmq.GetProperty("malformedMessages").GetInt64());
        Assert.Equal(2, zmq.GetProperty("batches").GetInt64());
        Assert.Equal("in", zmq.GetProperty("stage").GetString());
        Assert.Equal(2, zmq.GetProperty("malformedByReason").EnumerateObject().Count());
    }
}

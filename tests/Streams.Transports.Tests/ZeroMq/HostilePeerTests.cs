using Microsoft.Extensions.Time.Testing;
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
/// A coordinator against peers that break the protocol (raw NetMQ sockets over loopback TCP): floods, huge names,
/// junk answers, a connection that drops; and the wait for workers when none is there.
/// </summary>
public sealed class HostilePeerTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(90); // a safety net only: every wait below ends on an event

    private static OperatorCatalog Catalog() => Catalogs.Builtin();

    private static PipelinePlan Plan(int events, int batch = 50)
    {
        var loaded = PipelineLoader.Load($$$"""
            name: t
            sources: [{name: src, operator: synthetic, config: {count: {{{events}}}, batch-size: {{{batch}}}, event-size: 16}}]
            stages: [{name: s, operator: noop, input: src, placement: workers}]
            sinks: [{name: out, operator: count, input: s}]
            """, "test.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Diagnostics));
        var planned = PipelinePlanner.Plan(loaded.Spec!, Catalog());
        Assert.True(planned.Ok, string.Join("\n", planned.Diagnostics));
        return planned.Plan!;
    }

    private static DealerSocket Peer(string endpoint)
    {
        var s = new DealerSocket();
        s.Options.Identity = Guid.NewGuid().ToByteArray();
        s.Options.Linger = TimeSpan.Zero;
        s.Connect(endpoint);
        return s;
    }

    private static void Hello(DealerSocket s, string name, string protocol = Protocol.Version) =>
        s.SendMoreFrame(Protocol.Hello).SendMoreFrame(Protocol.ToJson(new WorkerHello(name, "host", 1, protocol, "streams test"))).SendFrame([]);

    /// <summary>Receives until a message whose command is <paramref name="command"/> (heartbeats and others skipped).</summary>
    private static NetMQMessage Expect(DealerSocket s, string command)
    {
        var deadline = DateTime.UtcNow + Safety;
        var m = new NetMQMessage();
        while (DateTime.UtcNow < deadline)
        {
            if (s.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(100), ref m) && m[0].ConvertToString() == command) return m;
        }

        throw new TimeoutException($"no {command}");
    }

    internal static string[] Lines(StringWriter w)
    {
        lock (w) return w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task A_flood_of_garbage_and_a_20_MB_name_give_a_few_short_log_lines_and_are_counted_in_the_summary()
    {
        var text = new StringWriter();
        var time = new FakeTimeProvider();
        using var coordinator = new Coordinator(Plan(100), new CoordinatorOptions { Listen = "tcp://127.0.0.1:0", Heartbeat = TimeSpan.FromMilliseconds(50), Time = time },
            new RunLog(TextWriter.Synchronized(text)), Streams.Engine.Metrics.MetricsRegistry.CreatePrivate());
        coordinator.Start();
        using var peer = Peer(coordinator.Endpoint);
        var huge = new string('n', 20_000_000);
        Hello(peer, huge, protocol: "bogus/9"); // refused: its name and protocol in the log line must be cut
        Expect(peer, Protocol.Reject);
        Hello(peer, huge);
        Expect(peer, Protocol.Welcome);
        var junkCommand = new byte[1 << 20];
        for (var i = 0; i < 200; i++) peer.SendMoreFrame(junkCommand).SendFrame("x");
        for (var i = 0; i < 200; i++) peer.SendMoreFrame(Protocol.Credit).SendMoreFrame("s").SendFrame([1, 2, 3]); // not a u32
        for (var i = 0; i < 100; i++) peer.SendFrame(Protocol.Work); // a coordinator's command

        await Eventually.Until(() => coordinator.Summary().MalformedMessages == 500, "500 malformed messages counted");
        var lines = Lines(text);
        Assert.True(lines.Length <= 16, $"{lines.Length} log lines:\n{string.Join('\n', lines.Take(30))}");
        Assert.All(lines, l => Assert.True(l.Length < 1000, $"a log line of {l.Length} chars"));
        Assert.Contains(lines, l => l.Contains("... (20000000 chars)", StringComparison.Ordinal));

        time.Advance(TimeSpan.FromSeconds(11));
        await Eventually.Until(() => Lines(text).Any(l => l.Contains("more messages from workers not logged one by one", StringComparison.Ordinal)), "the summary line");
        var w = coordinator.Summary();
        Assert.Equal(500, w.MalformedMessages);
        Assert.Equal(3, w.MalformedByReason.Count);
        Assert.Equal(1, w.Refused);
        Assert.True(w.Workers.Single().Name.Length < 100);
        coordinator.Stop("test over");
    }

    /// <summary>A worker that answers every batch with junk of another kind, and joins again when expelled.</summary>
    private static void JunkWorker(string endpoint, CancellationToken stop)
    {
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            using var s = Peer(endpoint);
            Hello(s, "junk");
            var m = new NetMQMessage();
            while (!stop.IsCancellationRequested)
            {
                if (!s.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(50), ref m)) continue;
                var command = m[0].ConvertToString();
                if (command == Protocol.End) return;
                if (command == Protocol.Reject) break; // expelled: join again with a new connection
                if (command == Protocol.Welcome) s.SendMoreFrame(Protocol.Credit).SendMoreFrame("s").SendMoreFrame(Protocol.U32(4)).SendFrame(Protocol.U32(1));
                if (command != Protocol.Work) continue;
                var header = BatchFrames.ReadHeader(m[2].Buffer);
                var answer = new NetMQMessage();
                answer.Append(Protocol.Result);
                byte[] Header(ulong id, int count)
                {
                    var h = new byte[BatchFrames.HeaderSize + 3];
                    BatchFrames.WriteHeader(h, PayloadKind.Bytes, id, count, "a/b"u8);
                    return h;
                }

                switch (n++ % 6)
                {
                    case 0: // counts that disagree: two events, one index
                        answer.Append(Header(header.BatchId, 2));
                        answer.Append(new byte[2 * BatchFrames.MetaEntrySize]);
                        answer.Append([]);
                        answer.Append(Protocol.Indices([0]));
                        answer.Append([]);
                        break;
                    case 1: // too few frames
                        answer.Append(Header(header.BatchId, 0));
                        answer.Append([]);
                        break;
                    case 2: // failures that are not JSON
                        answer.Append(Header(header.BatchId, 0));
                        answer.Append([]);
                        answer.Append([]);
                        answer.Append([]);
                        answer.Append("{not json"u8.ToArray());
                        break;
                    case 3: // a batch it was never sent
                        answer.Append(Header(header.BatchId + 12_345_678, 0));
                        answer.Append([]);
                        answer.Append([]);
                        answer.Append([]);
                        answer.Append([]);
                        break;
                    case 4: // no readable header at all
                        answer.Append("junk"u8.ToArray());
                        break;
                    default: // an event index far beyond the batch
                        answer.Append(Header(header.BatchId, 0));
                        answer.Append([]);
                        answer.Append([]);
                        answer.Append([]);
                        answer.Append(Protocol.ToJson(new[] { new WireFailure(99_999, "x", Severity.Error) }));
                        break;
                }

                s.SendMultipartMessage(answer);
            }
        }
    }

    [Fact]
    public async Task A_worker_answering_junk_fails_those_events_with_a_reason_and_the_books_balance()
    {
        var plan = Plan(1000);
        var registry = Streams.Engine.Metrics.MetricsRegistry.CreatePrivate();
        using var coordinator = new Coordinator(plan, new CoordinatorOptions { Listen = "tcp://127.0.0.1:0", Heartbeat = TimeSpan.FromMilliseconds(100) }, RunLog.Null, registry);
        coordinator.Start();
        using var stop = new CancellationTokenSource();
        var junk = Task.Factory.StartNew(() => JunkWorker(coordinator.Endpoint, stop.Token), TaskCreationOptions.LongRunning);
        using var pipeline = Pipeline.Create(plan, new PipelineOptions { Registry = registry, RemoteStages = coordinator });
        var summary = await pipeline.RunAsync().WaitAsync(Safety);
        var w = coordinator.Summary();
        coordinator.Stop("test over");
        await stop.CancelAsync();
        await junk.WaitAsync(Safety);

        Assert.Equal(new EventTotals(1000, 0, 1000, 0, 0), summary.Events);
        Assert.Contains(summary.Errors, e => e.Stage == "s" && e.Message.Contains("junk RESULT", StringComparison.Ordinal));
        foreach (var reason in new[] { "RESULT (content)", "RESULT (frames)", "RESULT (batch not sent there)", "RESULT (no batch header)" })
        {
            Assert.True(w.MalformedByReason.ContainsKey(reason), $"{reason} not counted: {string.Join(", ", w.MalformedByReason)}");
        }

        Assert.True(w.Died >= 2, $"the junk worker was expelled {w.Died} times"); // expelled for cases 3 and 4
        Assert.Contains(w.Workers, x => x.State == "expelled");
    }

    [Fact]
    public async Task A_worker_whose_connection_drops_is_dead_at_once_and_its_batches_go_to_another()
    {
        var plan = Plan(1000);
        var registry = Streams.Engine.Metrics.MetricsRegistry.CreatePrivate();
        var options = new CoordinatorOptions { Listen = "tcp://127.0.0.1:0", Heartbeat = TimeSpan.FromMilliseconds(200), DeadAfter = TimeSpan.FromMinutes(10) };
        using var coordinator = new Coordinator(plan, options, RunLog.Null, registry);
        coordinator.Start();
        using var pipeline = Pipeline.Create(plan, new PipelineOptions { Registry = registry, RemoteStages = coordinator });
        var run = pipeline.RunAsync();
        using (var victim = Peer(coordinator.Endpoint))
        {
            Hello(victim, "victim");
            Expect(victim, Protocol.Welcome);
            victim.SendMoreFrame(Protocol.Credit).SendMoreFrame("s").SendMoreFrame(Protocol.U32(4)).SendFrame(Protocol.U32(1));
            Expect(victim, Protocol.Work);
        } // closed without a word, holding batches: its TCP connection drops

        using var good = new WorkerHost(new WorkerOptions { Join = coordinator.Endpoint, Name = "good" }, Catalog(), RunLog.Null);
        var working = good.RunAsync(CancellationToken.None);
        var summary = await run.WaitAsync(Safety); // without the disconnect, the victim's batches would wait 10 minutes
        var w = coordinator.Summary();
        coordinator.Stop("test over");
        await working.WaitAsync(Safety);

        Assert.Equal(new EventTotals(1000, 1000, 0, 0, 0), summary.Events);
        Assert.Equal(1, w.Died);
        Assert.True(w.BatchesResent >= 1);
        Assert.Equal("dead", w.Workers.Single(x => x.Name == "victim").State);
    }

    [Fact]
    public async Task A_worker_declared_dead_that_talks_on_over_another_connection_is_told_to_join_again_and_is_taken_back()
    {
        // A guard for the coordinator's half of a reconnect race: whatever connection a dead worker's words come over,
        // with its old identity or a new one, it is told it is unknown (never answered by silence) and its HELLO is taken.
        var options = new CoordinatorOptions { Listen = "tcp://127.0.0.1:0", Heartbeat = TimeSpan.FromMilliseconds(200), DeadAfter = TimeSpan.FromMinutes(10) };
        using var coordinator = new Coordinator(Plan(10), options, RunLog.Null, Streams.Engine.Metrics.MetricsRegistry.CreatePrivate());
        coordinator.Start();
        var identity = Guid.NewGuid().ToByteArray();
        using (var first = new DealerSocket())
        {
            first.Options.Identity = identity;
            first.Options.Linger = TimeSpan.Zero;
            first.Connect(coordinator.Endpoint);
            Hello(first, "twice");
            Expect(first, Protocol.Welcome);
        } // its connection drops: dead at once

        await Eventually.Until(() => coordinator.Summary().Died == 1, "the dropped worker declared dead");
        var peers = new List<DealerSocket>(); // kept open until the summary: a connection that drops would be a death
        foreach (var sameIdentity in new[] { true, false })
        {
            var next = new DealerSocket();
            peers.Add(next);
            next.Options.Identity = sameIdentity ? identity : Guid.NewGuid().ToByteArray();
            next.Options.Linger = TimeSpan.Zero;
            next.Connect(coordinator.Endpoint);
            next.SendFrame(Protocol.Heartbeat);
            Assert.StartsWith("unknown worker", Expect(next, Protocol.Reject)[1].ConvertToString(), StringComparison.Ordinal);
            Hello(next, "twice");
            Expect(next, Protocol.Welcome);
        }

        var w = coordinator.Summary();
        coordinator.Stop("test over");
        foreach (var p in peers) p.Dispose();
        Assert.Equal(3, w.Joined);
        Assert.Equal(1, w.Died);
    }

    [Fact]
    public async Task With_no_worker_the_wait_runs_once_and_later_batches_fail_at_once()
    {
        var plan = Plan(2000);
        var time = new FakeTimeProvider();
        var registry = Streams.Engine.Metrics.MetricsRegistry.CreatePrivate();
        var options = new CoordinatorOptions { Listen = "tcp://127.0.0.1:0", Heartbeat = TimeSpan.FromMilliseconds(20), WorkerWait = TimeSpan.FromSeconds(100), Slots = 4, Time = time };
        using var coordinator = new Coordinator(plan, options, RunLog.Null, registry);
        coordinator.Start();
        using var pipeline = Pipeline.Create(plan, new PipelineOptions { Registry = registry, RemoteStages = coordinator });
        var run = pipeline.RunAsync();
        // Time passes until the first batches fail (the one wait), then stops: the 36 batches behind them must not wait again.
        await Eventually.Until(() =>
        {
            if (pipeline.Accounts.Failed > 0) return true;
            time.Advance(TimeSpan.FromSeconds(10));
            return false;
        }, "the first wait to run out");
        var summary = await run.WaitAsync(Safety);
        coordinator.Stop("test over");
        Assert.Equal(new EventTotals(2000, 0, 2000, 0, 0), summary.Events);
    }

    [Fact]
    public async Task A_stop_request_with_no_worker_shortens_the_wait_to_dead_after()
    {
        var plan = Plan(2000);
        var time = new FakeTimeProvider();
        var text = new StringWriter();
        var registry = Streams.Engine.Metrics.MetricsRegistry.CreatePrivate();
        var options = new CoordinatorOptions
        {
            Listen = "tcp://127.0.0.1:0", Heartbeat = TimeSpan.FromMilliseconds(20), DeadAfter = TimeSpan.FromSeconds(5), WorkerWait = TimeSpan.FromSeconds(1000), Time = time,
        };
        using var coordinator = new Coordinator(plan, options, new RunLog(TextWriter.Synchronized(text)), registry);
        coordinator.Start();
        using var pipeline = Pipeline.Create(plan, new PipelineOptions { Registry = registry, RemoteStages = coordinator });
        var run = pipeline.RunAsync();
        await Eventually.Until(() => coordinator.StateOf("s").WaitingBatches > 0, "batches waiting");
        pipeline.StopIntake("SIGTERM received");
        var advanced = 0;
        await Eventually.Until(() =>
        {
            if (run.IsCompleted || advanced >= 30) return true; // 30 s of the 1000 s wait at most
            time.Advance(TimeSpan.FromSeconds(1));
            advanced++;
            return false;
        }, "the run to end");
        Assert.True(run.IsCompleted, $"the run still waits for workers after a stop request and {advanced} s");
        var summary = await run;
        coordinator.Stop("test over");
        Assert.True(summary.Events.Balanced);
        Assert.Equal(0, summary.Events.Processed);
        Assert.Contains("waiting at most 5 s more", text.ToString(), StringComparison.Ordinal);
    }
}

using Microsoft.Extensions.Time.Testing;
using NetMQ;
using NetMQ.Sockets;
using Streams.Engine.Runtime;
using Streams.TestKit;
using Streams.Transports.ZeroMq.Framing;
using Streams.Transports.ZeroMq.Operators;

namespace Streams.Transports.Tests.ZeroMq;

/// <summary>The <c>zmq-pull</c> source's idle stop reads the run's clock (<see cref="PipelineOptions.Time"/>), not the wall.</summary>
public sealed class ZmqPullIdleStopTests
{
    [Fact]
    public async Task Zmq_pull_stops_once_the_run_clock_says_nothing_arrived_for_idle_stop_seconds()
    {
        using var port = Ports.HoldTcp();
        var catalog = Catalogs.Builtin();
        ZeroMqOperators.Register(catalog);
        var plan = Pipelines.Plan($$$"""
            name: idle
            sources: [{name: in, operator: zmq-pull, config: {bind: 'tcp://127.0.0.1:{{{port.Port}}}', idle-stop-seconds: 30}}]
            sinks: [{name: out, operator: count, input: in}]
            """, catalog);
        var time = new FakeTimeProvider();
        using var pipeline = Pipeline.Create(plan, new PipelineOptions { Time = time });
        var run = pipeline.RunAsync();
        using var push = new PushSocket();
        push.Options.Linger = TimeSpan.FromSeconds(5);
        push.Connect($"tcp://127.0.0.1:{port.Port}");
        var sink = pipeline.Stage("out").Stats;
        Send(push, 1);
        await Eventually.WaitUntil(() => sink.EventsIn == 10);

        // 29 s of quiet on the run's clock, however long the wall took: still running, so the next batch comes in, and
        // it starts the quiet over.
        time.Advance(TimeSpan.FromSeconds(29));
        Send(push, 2);
        await Eventually.WaitUntil(() => sink.EventsIn == 20);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(run.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(2));
        // The source looks every 100 ms: it stops well within 15 s of wall clock (a wall-clock idle stop would need 30).
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(20, summary.Events.Processed);
        Assert.True(summary.Events.Balanced);
    }

    private static void Send(PushSocket push, ulong batchId)
    {
        var header = new byte[BatchFrames.HeaderSize + 3];
        BatchFrames.WriteHeader(header, PayloadKind.Bytes, batchId, 10, "a/b"u8);
        push.SendMoreFrame(header).SendMoreFrame(new byte[10 * BatchFrames.MetaEntrySize]).SendFrame([]);
    }
}

using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using NetMQ;
using NetMQ.Sockets;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.TestKit;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Framing;
using Streams.Transports.ZeroMq.Working;

namespace Streams.Transports.Tests.ZeroMq;

/// <summary>
/// Death by silence on the coordinator's clock, the worker process's state machine, and pooled buffers that go back
/// exactly once.
/// </summary>
public sealed class LivenessAndOwnershipTests
{
    /// <summary>An array pool that counts what comes back, and notices a buffer coming back twice.</summary>
    private sealed class CountingPool : ArrayPool<byte>
    {
        private readonly HashSet<byte[]> _out = new(ReferenceEqualityComparer.Instance);

        public int Returned { get; private set; }

        public int ReturnedTwice { get; private set; }

        public override byte[] Rent(int minimumLength)
        {
            var b = new byte[minimumLength];
            _out.Add(b);
            return b;
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            if (_out.Remove(array)) Returned++;
            else ReturnedTwice++;
        }
    }

    [Fact]
    public void An_encoded_batch_disposed_twice_returns_its_buffer_once_and_cannot_be_read_after()
    {
        var pool = new CountingPool();
        var encoded = new EncodedBatch([1], [2], pool.Rent(64), 10, pool);
        Assert.Equal(64, encoded.Payload.Length);
        encoded.Dispose();
        encoded.Dispose();
        Assert.Equal((1, 0), (pool.Returned, pool.ReturnedTwice));
        Assert.Throws<ObjectDisposedException>(() => encoded.Payload);
    }

    [Fact]
    public void A_result_returns_the_output_encoding_once_when_disposed_after_the_send()
    {
        var pool = new CountingPool();
        var output = new EncodedBatch(new byte[BatchFrames.HeaderSize], [], pool.Rent(8), 8, pool);
        var result = WorkerProtocol.Result(7, "a/b", output, [0], []);
        Assert.Equal(6, result.Message.FrameCount);
        Assert.Equal(8, result.Message[3].MessageSize);
        result.Dispose();
        result.Dispose();
        Assert.Equal((1, 0), (pool.Returned, pool.ReturnedTwice));
    }

    [Fact]
    public void The_worker_process_state_machine_refuses_and_counts_moves_it_does_not_allow()
    {
        var life = new WorkerLifecycle();
        Assert.Equal(WorkerState.Connecting, life.State);
        Assert.False(life.Move(WorkerState.Drained)); // a DRAIN before the WELCOME
        Assert.True(life.Move(WorkerState.Joined));
        Assert.True(life.Move(WorkerState.Leaving));
        Assert.True(life.LeaveAsked);
        Assert.True(life.Move(WorkerState.Connecting)); // the coordinator fell silent: the wish to leave stays
        Assert.True(life.LeaveAsked);
        Assert.True(life.Move(WorkerState.Joined));
        Assert.True(life.Move(WorkerState.Drained));
        Assert.False(life.Move(WorkerState.Leaving)); // no way back from drained but by reconnecting
        Assert.True(life.Move(WorkerState.Gone));
        Assert.False(life.Move(WorkerState.Connecting));
        Assert.False(life.Move(WorkerState.Gone));
        Assert.Equal(4, life.InvalidTransitions);
    }

    [Fact]
    public async Task A_silent_worker_process_is_declared_dead_when_dead_after_passes_on_the_coordinators_clock()
    {
        var loaded = PipelineLoader.Load("""
            name: t
            sources: [{name: src, operator: synthetic, config: {count: 100, batch-size: 50}}]
            stages: [{name: s, operator: noop, input: src, placement: workers}]
            sinks: [{name: out, operator: count, input: s}]
            """, "test.yaml");
        var plan = PipelinePlanner.Plan(loaded.Spec!, BuiltinOperators.Register(new OperatorCatalog())).Plan!;
        var time = new FakeTimeProvider();
        var options = new CoordinatorOptions { Listen = "tcp://127.0.0.1:0", Heartbeat = TimeSpan.FromMilliseconds(20), DeadAfter = TimeSpan.FromSeconds(5), Time = time };
        using var coordinator = new Coordinator(plan, options, RunLog.Null, Streams.Engine.Metrics.MetricsRegistry.CreatePrivate());
        coordinator.Start();
        using var peer = new DealerSocket();
        peer.Options.Identity = Guid.NewGuid().ToByteArray();
        peer.Options.Linger = TimeSpan.Zero;
        peer.Connect(coordinator.Endpoint);
        WorkerProtocol.SendHello(peer, new WorkerHello("quiet", "host", 1, Protocol.Version, "streams test"), []);
        var m = new NetMQMessage();
        Assert.True(peer.TryReceiveMultipartMessage(TimeSpan.FromSeconds(30), ref m), "no WELCOME");
        Assert.Equal(Protocol.Welcome, m[0].ConvertToString());
        Assert.True(coordinator.HasWorker("quiet"));

        // The connection stays up and the peer says nothing: only the clock can declare it dead.
        time.Advance(TimeSpan.FromSeconds(4.9));
        await Eventually.Until(() => coordinator.Summary().Workers.Single().HeartbeatsMissed > 0, "missed heartbeats counted");
        Assert.True(coordinator.HasWorker("quiet"), "dead before dead-after");
        time.Advance(TimeSpan.FromSeconds(0.2));
        await Eventually.Until(() => !coordinator.HasWorker("quiet"), "the silent worker declared dead");
        var w = coordinator.Summary();
        Assert.Equal((1L, 1L, "dead"), (w.Joined, w.Died, w.Workers.Single().State));
        coordinator.Stop("test over");
    }
}

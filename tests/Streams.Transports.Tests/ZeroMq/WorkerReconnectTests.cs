using Microsoft.Extensions.Time.Testing;
using NetMQ;
using NetMQ.Sockets;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Working;
using Streams.TestKit;

namespace Streams.Transports.Tests.ZeroMq;

/// <summary>
/// A worker whose coordinator goes away (a raw NetMQ ROUTER plays the coordinator, the worker's clock is a
/// <see cref="FakeTimeProvider"/>): how long it keeps trying after it noticed the silence, and a REJECT before the WELCOME.
/// </summary>
public sealed class WorkerReconnectTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60); // a safety net only: every wait below ends on an event

    private static OperatorCatalog Catalog() => Catalogs.Builtin();

    /// <summary>A WELCOME with one stage (the worker answers it with that stage's CREDIT).</summary>
    private static readonly byte[] WelcomeOneStage = Protocol.ToJson(new Welcome("w", "p", [new StageDefinition("s", "noop", 1, "", new Dictionary<string, WireConfigValue>())], HeartbeatMs: 50, DeadAfterMs: 2000));

    /// <summary>The next message whose command is <paramref name="command"/> (others skipped), or null when the worker exited first.</summary>
    private static NetMQMessage? Next(RouterSocket router, string command, Task running, Func<byte[], bool>? from = null)
    {
        var deadline = DateTime.UtcNow + Safety;
        var msg = new NetMQMessage();
        while (DateTime.UtcNow < deadline)
        {
            if (router.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(100), ref msg))
            {
                if (msg[1].ConvertToString() == command && (from is null || from(msg[0].ToByteArray()))) return msg;
                msg = new NetMQMessage();
            }
            else if (running.IsCompleted)
            {
                return null;
            }
        }

        throw new TimeoutException($"no {command} within {Safety}");
    }

    [Fact]
    public async Task A_worker_whose_coordinator_fell_silent_tries_for_the_whole_give_up_time_after_noticing_it()
    {
        // The bug: the give-up clock ran from the last word heard, so after --dead-after of silence only
        // --give-up-after minus --dead-after was left (6 - 5 = 1 s in the CLI test) for a restarted coordinator.
        var time = new FakeTimeProvider();
        using var router = new RouterSocket();
        router.Options.Linger = TimeSpan.Zero;
        var port = router.BindRandomPort("tcp://127.0.0.1");
        using var host = new WorkerHost(new WorkerOptions { Join = $"tcp://127.0.0.1:{port}", Name = "w", GiveUpAfter = TimeSpan.FromSeconds(3), Time = time }, Catalog(), RunLog.Null);
        var running = host.RunAsync(CancellationToken.None);

        var hello = Next(router, Protocol.Hello, running)!;
        var first = hello[0].ToByteArray();
        router.SendMoreFrame(first).SendMoreFrame(Protocol.Welcome).SendFrame(WelcomeOneStage);
        Assert.NotNull(Next(router, Protocol.Credit, running)); // joined, last word heard at t = 0

        time.Advance(TimeSpan.FromSeconds(2.5)); // the coordinator is silent past its dead-after (2 s): the worker reconnects
        var again = Next(router, Protocol.Hello, running, id => !id.AsSpan().SequenceEqual(first));
        Assert.NotNull(again);
        var second = again![0].ToByteArray();

        time.Advance(TimeSpan.FromSeconds(1.5)); // 4 s after the last word, 1.5 s after it began to reconnect: it tries on
        Assert.True(Next(router, Protocol.Hello, running, id => id.AsSpan().SequenceEqual(second)) is not null, "the worker gave up 1.5 s after it began to reconnect (--give-up-after is 3 s)");
        Assert.False(running.IsCompleted);

        router.SendMoreFrame(second).SendMoreFrame(Protocol.Welcome).SendFrame(WelcomeOneStage); // the restarted coordinator takes it
        Assert.NotNull(Next(router, Protocol.Credit, running, id => id.AsSpan().SequenceEqual(second)));
        router.SendMoreFrame(second).SendMoreFrame(Protocol.End).SendFrame("test over");
        Assert.Equal(WorkerExit.Done, await running.WaitAsync(Safety));
    }

    [Fact]
    public async Task A_worker_told_it_is_unknown_before_its_welcome_says_hello_again_and_joins()
    {
        var time = new FakeTimeProvider();
        using var router = new RouterSocket();
        router.Options.Linger = TimeSpan.Zero;
        var port = router.BindRandomPort("tcp://127.0.0.1");
        using var host = new WorkerHost(new WorkerOptions { Join = $"tcp://127.0.0.1:{port}", Name = "w", GiveUpAfter = TimeSpan.FromSeconds(30), Time = time }, Catalog(), RunLog.Null);
        var running = host.RunAsync(CancellationToken.None);

        var id = Next(router, Protocol.Hello, running)![0].ToByteArray();
        // What a coordinator answers to a stale message from this identity (a heartbeat of an earlier connection).
        router.SendMoreFrame(id).SendMoreFrame(Protocol.Reject).SendFrame("unknown worker (declared dead, or the coordinator restarted): join again");
        Assert.True(Next(router, Protocol.Hello, running) is not null, "the worker exited on a REJECT that asks it to join again");
        router.SendMoreFrame(id).SendMoreFrame(Protocol.Welcome).SendFrame(WelcomeOneStage);
        Assert.NotNull(Next(router, Protocol.Credit, running));
        router.SendMoreFrame(id).SendMoreFrame(Protocol.End).SendFrame("test over");
        Assert.Equal(WorkerExit.Done, await running.WaitAsync(Safety));
    }
}

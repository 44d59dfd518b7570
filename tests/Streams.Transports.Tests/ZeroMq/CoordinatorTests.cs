using Microsoft.Extensions.Time.Testing;
using NetMQ;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.Operators.Clas12;
using Streams.TestKit;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Security;
using Streams.Transports.ZeroMq.Working;

namespace Streams.Transports.Tests.ZeroMq;

/// <summary>A coordinator and worker hosts in this process, over real TCP sockets on loopback.</summary>
public sealed class CoordinatorTests
{
    private static OperatorCatalog Catalog() => Catalogs.Full();

    private static PipelinePlan Plan(string yaml) => Pipelines.Plan(yaml, Catalog());

    /// <summary>
    /// Runs <paramref name="yaml"/> with a coordinator and <paramref name="workers"/> worker processes. With
    /// <paramref name="time"/> (the clock of both sides, in the options), the clock moves 0.1 s per check until the run
    /// is over: waits of seconds take a fraction of one (only for runs where no worker joins, or one that is silent).
    /// </summary>
    private static async Task<(PipelineSummary Summary, WorkersSummary Workers, WorkerExit[] Exits)> RunAsync(
        string yaml, int workers, CoordinatorOptions? options = null, Func<int, WorkerOptions, WorkerOptions>? workerOptions = null, FakeTimeProvider? time = null)
    {
        var plan = Plan(yaml);
        var registry = Streams.Engine.Metrics.MetricsRegistry.CreatePrivate();
        using var coordinator = new Coordinator(plan, options ?? new CoordinatorOptions { Listen = "tcp://127.0.0.1:0" }, RunLog.Null, registry);
        coordinator.Start();
        var hosts = Enumerable.Range(0, workers).Select(i =>
        {
            var o = new WorkerOptions { Join = coordinator.Endpoint, Name = $"w{i}", GiveUpAfter = TimeSpan.FromSeconds(3) };
            return new WorkerHost(workerOptions?.Invoke(i, o) ?? o, Catalog(), RunLog.Null);
        }).ToList();
        var runs = hosts.Select(h => h.RunAsync(CancellationToken.None)).ToList();
        using var pipeline = Pipeline.Create(plan, new PipelineOptions { Registry = registry, RemoteStages = coordinator });
        var run = pipeline.RunAsync();
        if (time is not null)
        {
            await Eventually.Until(() =>
            {
                time.Advance(TimeSpan.FromSeconds(0.1));
                return run.IsCompleted && runs.All(r => r.IsCompleted);
            }, "the run over on the test's clock");
        }

        var summary = await run.WaitAsync(TimeSpan.FromSeconds(60));
        var ws = coordinator.Summary();
        coordinator.Stop("test over");
        var exits = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(20));
        hosts.ForEach(h => h.Dispose());
        return (summary, ws, exits);
    }

    [Fact]
    public async Task Two_workers_share_a_stage_and_every_event_and_failure_comes_back()
    {
        const string yaml = """
            name: t
            sources: [{name: src, operator: synthetic, config: {count: 6000, batch-size: 100, event-size: 64}}]
            stages: [{name: faulty, operator: fault-inject, input: src, placement: workers, workers: 2, config: {fail-every: 100}}]
            sinks: [{name: out, operator: count, input: faulty}]
            """;
        var (s, w, exits) = await RunAsync(yaml, workers: 2);
        Assert.Equal(new EventTotals(6000, 5940, 60, 0, 0), s.Events);
        var stage = s.Stages.Single(x => x.Name == "faulty");
        Assert.Equal(60, stage.Failed);
        Assert.Contains(s.Errors, e => e.Stage == "faulty" && e.Message.Contains("(on worker w", StringComparison.Ordinal));
        Assert.Equal(2, w.Joined);
        Assert.Equal(0, w.Died);
        Assert.All(w.Workers, x => Assert.True(x.BatchesAcked > 0, $"{x.Name} did no work"));
        Assert.Equal(60, w.Workers.Sum(x => x.BatchesAcked));
        Assert.All(exits, e => Assert.Equal(WorkerExit.Done, e));
    }

    [Fact]
    public async Task Arrow_batches_make_the_round_trip_and_tracking_on_workers_matches_tracking_here()
    {
        const string tail = """
            sinks: [{name: out, operator: count, input: tracking}]
            """;
        string Yaml(string placement) => $$"""
            name: t
            sources: [{name: daq, operator: clas12-sim, config: {count: 600, tracks: 2, seed: 3, batch-size: 50} }]
            stages:
              - {name: decode, operator: clas12-decode, input: daq}
              - {name: tracking, operator: clas12-dc-tracking, input: decode, placement: {{placement}} }
            {{tail}}
            """;
        var (remote, w, _) = await RunAsync(Yaml("workers"), workers: 1);
        using var local = Pipeline.Create(Plan(Yaml("local")));
        var here = await local.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(here.Events, remote.Events);
        Assert.Equal(600, remote.Events.Processed + remote.Events.Failed);
        Assert.Equal(here.Stages.Single(x => x.Name == "tracking").EventsOut, remote.Stages.Single(x => x.Name == "tracking").EventsOut);
        Assert.Equal(12, w.Workers.Single().BatchesAcked);
    }

    private const string Small = """
        name: t
        sources: [{name: src, operator: synthetic, config: {count: 500, batch-size: 50}}]
        stages: [{name: s, operator: noop, input: src, placement: workers}]
        sinks: [{name: out, operator: count, input: s}]
        """;

    [Fact]
    public async Task With_curve_a_listed_worker_is_admitted_and_an_unlisted_one_refused()
    {
        var server = new NetMQCertificate();
        var good = new NetMQCertificate();
        var bad = new NetMQCertificate();
        var options = new CoordinatorOptions { Listen = "tcp://127.0.0.1:0", Curve = server, AllowedWorkers = [good.PublicKey], WorkerWait = TimeSpan.FromSeconds(30) };
        var (s, w, exits) = await RunAsync(Small, workers: 2, options, (i, o) => o with { ServerKey = server.PublicKey, Certificate = i == 0 ? good : bad });
        Assert.Equal(new EventTotals(500, 500, 0, 0, 0), s.Events);
        Assert.Equal(1, w.Joined);
        Assert.True(w.Refused >= 1);
        Assert.Equal([WorkerExit.Done, WorkerExit.Refused], exits);
    }

    [Fact]
    public async Task A_worker_with_the_wrong_server_key_gives_up_with_a_clear_exit()
    {
        var server = new NetMQCertificate();
        var plan = Plan(Small);
        using var coordinator = new Coordinator(plan, new CoordinatorOptions { Listen = "tcp://127.0.0.1:0", Curve = server }, RunLog.Null, Streams.Engine.Metrics.MetricsRegistry.CreatePrivate());
        coordinator.Start();
        var log = new StringWriter();
        var time = new FakeTimeProvider();
        using var host = new WorkerHost(
            new WorkerOptions { Join = coordinator.Endpoint, ServerKey = new NetMQCertificate().PublicKey, GiveUpAfter = TimeSpan.FromSeconds(2), Time = time }, Catalog(), new RunLog(TextWriter.Synchronized(log)));
        var running = host.RunAsync(CancellationToken.None);
        // The worker's clock runs 0.1 s per check: the 2 s it tries for pass in a fraction of a second.
        await Eventually.Until(() =>
        {
            time.Advance(TimeSpan.FromSeconds(0.1));
            return running.IsCompleted;
        }, "the worker gave up");
        var exit = await running;
        Assert.Equal(WorkerExit.CoordinatorLost, exit);
        Assert.Contains("no answer from the coordinator", log.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, coordinator.WorkersAlive);
        coordinator.Stop("test over");
    }

    [Fact]
    public async Task Without_curve_on_the_worker_a_curve_coordinator_admits_nobody()
    {
        var time = new FakeTimeProvider();
        var options = new CoordinatorOptions { Listen = "tcp://127.0.0.1:0", Curve = new NetMQCertificate(), WorkerWait = TimeSpan.FromSeconds(3), Heartbeat = TimeSpan.FromMilliseconds(50), Time = time };
        var (s, w, exits) = await RunAsync(Small, workers: 1, options, (_, o) => o with { Time = time }, time);
        Assert.Equal(0, w.Joined);
        Assert.Equal(WorkerExit.CoordinatorLost, exits.Single());
        Assert.Equal(500, s.Events.Failed); // nobody came within --worker-wait: failed, counted, not lost
        Assert.True(s.Events.Balanced);
    }

    [Fact]
    public async Task A_worker_the_coordinator_asks_to_leave_drains_and_leaves_while_the_others_finish_the_run()
    {
        var plan = Plan("""
            name: t
            sources: [{name: src, operator: synthetic, config: {count: 20000, batch-size: 100}}]
            stages: [{name: s, operator: cpu-burn, input: src, placement: workers, config: {work-us: 50, mode: wait}}] # wait: the same on a loaded machine
            sinks: [{name: out, operator: count, input: s}]
            """);
        var registry = Streams.Engine.Metrics.MetricsRegistry.CreatePrivate();
        using var coordinator = new Coordinator(plan, new CoordinatorOptions { Listen = "tcp://127.0.0.1:0" }, RunLog.Null, registry);
        coordinator.Start();
        using var leaver = new WorkerHost(new WorkerOptions { Join = coordinator.Endpoint, Name = "leaver" }, Catalog(), RunLog.Null);
        using var stayer = new WorkerHost(new WorkerOptions { Join = coordinator.Endpoint, Name = "stayer" }, Catalog(), RunLog.Null);
        var leaving = leaver.RunAsync(CancellationToken.None);
        var staying = stayer.RunAsync(CancellationToken.None);
        using var pipeline = Pipeline.Create(plan, new PipelineOptions { Registry = registry, RemoteStages = coordinator });
        var run = pipeline.RunAsync();
        await Eventually.Until(() => leaver.BatchesDone > 0, "the leaver did some work");

        Assert.True(coordinator.HasWorker("leaver"));
        Assert.False(await coordinator.AskToLeaveAsync("nobody"));
        Assert.True(await coordinator.AskToLeaveAsync("leaver"));
        Assert.False(await coordinator.AskToLeaveAsync("leaver")); // leaving already
        Assert.Equal(WorkerExit.Done, await leaving.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.False(run.IsCompleted, "the run should still be going when the worker has left");
        await Eventually.Until(() => !coordinator.HasWorker("leaver"), "the worker process that left no longer serves the run");
        Assert.True(coordinator.HasWorker("stayer"));
        Assert.Equal(0, leaver.InvalidTransitions);
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(60));
        var w = coordinator.Summary();
        coordinator.Stop("test over");
        await staying.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(new EventTotals(20000, 20000, 0, 0, 0), summary.Events);
        Assert.Equal((2L, 1L, 0L, 0L), (w.Joined, w.Left, w.Died, w.BatchesResent)); // a drained worker hands back nothing
        Assert.True(w.Workers.Single(x => x.Name == "leaver").BatchesAcked > 0);
    }
}

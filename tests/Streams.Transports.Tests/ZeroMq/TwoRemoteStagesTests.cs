using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.TestKit;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Working;

namespace Streams.Transports.Tests.ZeroMq;

/// <summary>Two stages placed on workers in one pipeline: each is dispatched, measured and reported on its own.</summary>
public sealed class TwoRemoteStagesTests
{
    private static OperatorCatalog Catalog() => Catalogs.Builtin();

    private const string Yaml = """
        name: t
        sources: [{name: src, operator: synthetic, config: {count: 4000, batch-size: 50, event-size: 32}}]
        stages:
          - {name: light, operator: cpu-burn, input: src, placement: workers, workers: 1, config: {work-us: 20, mode: wait}}
          - {name: heavy, operator: cpu-burn, input: light, placement: workers, workers: 3, config: {work-us: 200, mode: wait}}
        sinks: [{name: out, operator: count, input: heavy}]
        """;

    [Fact]
    public async Task Each_stage_on_workers_has_its_own_threads_dispatch_and_state_and_all_events_balance()
    {
        var loaded = PipelineLoader.Load(Yaml, "test.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Diagnostics));
        var planned = PipelinePlanner.Plan(loaded.Spec!, Catalog());
        Assert.True(planned.Ok, string.Join("\n", planned.Diagnostics));
        var plan = planned.Plan!;
        var registry = Streams.Engine.Metrics.MetricsRegistry.CreatePrivate();
        using var coordinator = new Coordinator(plan, new CoordinatorOptions { Listen = "tcp://127.0.0.1:0" }, RunLog.Null, registry);
        coordinator.Start();
        var hosts = Enumerable.Range(0, 2).Select(i => new WorkerHost(new WorkerOptions { Join = coordinator.Endpoint, Name = $"w{i}" }, Catalog(), RunLog.Null)).ToList();
        var runs = hosts.Select(h => h.RunAsync(CancellationToken.None)).ToList();
        await Eventually.Until(() => coordinator.HasWorker("w0") && coordinator.HasWorker("w1"), "both worker processes serve the run");
        Assert.False(coordinator.HasWorker("w2"));

        using var pipeline = Pipeline.Create(plan, new PipelineOptions { Registry = registry, RemoteStages = coordinator });
        var summary = await pipeline.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        // Each stage counts the threads the worker processes run for it (1 and 3 each), not the sum over stages.
        Assert.Equal(new RemoteStageState(Threads: 2, Workers: 2, WaitingBatches: 0, PeakThreads: 2), coordinator.StateOf("light"));
        Assert.Equal(new RemoteStageState(Threads: 6, Workers: 2, WaitingBatches: 0, PeakThreads: 6), coordinator.StateOf("heavy"));
        Assert.Equal(default, coordinator.StateOf("src"));
        Assert.Equal((2, 6), (pipeline.Stage("light").Threads, pipeline.Stage("heavy").Threads));
        Assert.Equal((2, 6), (summary.Stages.Single(s => s.Name == "light").MaxWorkers, summary.Stages.Single(s => s.Name == "heavy").MaxWorkers));

        var w = coordinator.Summary();
        var light = w.Stages.Single(s => s.Stage == "light");
        var heavy = w.Stages.Single(s => s.Stage == "heavy");
        Assert.Equal((80L, 80L), (light.BatchesAnswered, heavy.BatchesAnswered)); // 4000 events in batches of 50, each stage its own
        Assert.Equal((0L, 0L), (light.BatchesResent, heavy.BatchesResent));
        Assert.Equal(160, w.Workers.Sum(x => x.BatchesAcked));
        Assert.Equal(0, w.InvalidTransitions);
        Assert.Equal(new EventTotals(4000, 4000, 0, 0, 0), summary.Events);
        Assert.True(summary.Events.Balanced);

        coordinator.Stop("test over");
        Assert.All(await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(20)), e => Assert.Equal(WorkerExit.Done, e));
        Assert.False(coordinator.HasWorker("w0"), "a worker process the run has ended no longer serves it");
        hosts.ForEach(h => h.Dispose());
    }
}

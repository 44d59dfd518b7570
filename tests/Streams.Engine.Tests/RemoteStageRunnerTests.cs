using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.TestKit;

namespace Streams.Engine.Tests;

/// <summary>A stage placed on worker processes, run through a stand-in that answers in this process.</summary>
public sealed class RemoteStageRunnerTests
{
    private const string Yaml = """
        name: t
        sources: [{name: src, operator: synthetic, config: {count: 1000, batch-size: 50}}]
        stages: [{name: far, operator: noop, input: src, placement: workers}]
        sinks: [{name: out, operator: count, input: far}]
        """;

    /// <summary>Worker processes as a test sets them: their threads for the stage, and a pass-through that fails event 0 of every batch.</summary>
    private sealed class FakeRemote(int slots) : IRemoteStages, IAsyncProcessor
    {
        public volatile int Threads;

        public int Slots => slots;

        public IAsyncProcessor Bind(PlannedNode node) => this;

        public RemoteStageState StateOf(string stage) => stage == "far" ? new RemoteStageState(Threads, 1, 0, Threads) : default;

        public bool HasWorker(string workerName) => false;

        public ValueTask<EventBatch?> ProcessAsync(EventBatch input, ProcessContext context)
        {
            context.Fail(0, "first event refused");
            return ValueTask.FromResult<EventBatch?>(input);
        }

        public void Configure(OperatorConfig config)
        {
        }

        public void Reset()
        {
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Its_threads_are_the_worker_processes_and_set_threads_cannot_add_any_while_its_slots_are_apart()
    {
        var remote = new FakeRemote(slots: 8) { Threads = 3 };
        using var pipeline = Pipeline.Create(Pipelines.Plan(Yaml), new PipelineOptions { RemoteStages = remote });
        var far = pipeline.Stage("far");
        Assert.Equal(3, far.Threads);
        Assert.Equal(3, far.SetThreads(40)); // cannot add remote threads: the current ones, unchanged
        Assert.Equal(3, far.SetThreads(1));
        Assert.Equal(8, far.MaxThreads); // at most one busy thread per batch in flight
        remote.Threads = 12;
        Assert.Equal((12, 12, 12), (far.Threads, far.MaxThreads, far.PeakThreads));

        var summary = await pipeline.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        // The settlement rule of a local stage: the input passes through without its failed events.
        Assert.Equal(new EventTotals(1000, 980, 20, 0, 0), summary.Events);
        Assert.Equal(20, summary.Stages.Single(s => s.Name == "far").Failed);
    }
}

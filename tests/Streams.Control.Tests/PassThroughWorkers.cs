using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;

namespace Streams.Control.Tests;

/// <summary>Stages on workers, served here in passing (no worker process): enough for the controller to measure them.</summary>
internal sealed class PassThroughWorkers : IRemoteStages, IAsyncProcessor
{
    public int Slots => 4;

    public IAsyncProcessor Bind(PlannedNode node) => this;

    public RemoteStageState StateOf(string stage) => new(0, 0, 0);

    public bool HasWorker(string workerName) => false;

    public ValueTask<EventBatch?> ProcessAsync(EventBatch input, ProcessContext context) => ValueTask.FromResult<EventBatch?>(input);

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

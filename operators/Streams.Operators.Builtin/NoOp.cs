using Streams.Engine.Batches;
using Streams.Engine.Operators;

namespace Streams.Operators.Builtin;

/// <summary>Passes batches through untouched: measures the engine's own overhead.</summary>
internal sealed class NoOp : IProcessor
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "noop",
        Kind = OperatorKind.Processor,
        Description = "Passes events through untouched (measures the engine's own hand-off cost).",
        Shareable = true,
        Factory = () => new NoOp(),
    };

    public void Configure(OperatorConfig config)
    {
    }

    public void Reset()
    {
    }

    public EventBatch? Process(EventBatch input, ProcessContext context) => input;

    public void Dispose()
    {
    }
}

using Streams.Engine.Operators;

namespace Streams.Operators.Builtin;

/// <summary>The operators that ship with the engine itself.</summary>
public static class BuiltinOperators
{
    public static OperatorCatalog Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog
            .Add(SyntheticSource.Descriptor)
            .Add(CpuBurn.Descriptor)
            .Add(NoOp.Descriptor)
            .Add(FaultInject.Descriptor)
            .Add(CountSink.Descriptor);
    }
}

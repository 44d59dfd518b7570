using Streams.Engine.Operators;

namespace Streams.Transports.ZeroMq.Operators;

/// <summary>Registers the ZeroMQ operators.</summary>
public static class ZeroMqOperators
{
    public static OperatorCatalog Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Add(ZmqPullSource.Descriptor).Add(ZmqPushSink.Descriptor);
    }
}

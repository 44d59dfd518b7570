using Streams.Engine.Operators;
using Streams.Transports.Ejfat.Receiving;
using Streams.Transports.Ejfat.Sending;

namespace Streams.Transports.Ejfat;

/// <summary>Registers the EJFAT operators.</summary>
public static class EjfatOperators
{
    public static OperatorCatalog Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Add(EjfatReceiverSource.Descriptor).Add(EjfatSenderSink.Descriptor);
    }
}

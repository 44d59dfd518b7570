using Streams.Engine.Operators;

namespace Streams.Transports.Files;

/// <summary>Registers the file operators (Arrow IPC and EVIO files).</summary>
public static class FileOperators
{
    public static OperatorCatalog Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Add(ArrowFileSource.Descriptor).Add(ArrowFileSink.Descriptor).Add(Evio.EvioFileSource.Descriptor).Add(Evio.EvioFileSink.Descriptor);
    }
}

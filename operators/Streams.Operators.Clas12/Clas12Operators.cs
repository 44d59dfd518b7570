using Streams.Engine.Operators;
using Streams.Operators.Clas12.Calorimeter;
using Streams.Operators.Clas12.Decoding;
using Streams.Operators.Clas12.Hipo;
using Streams.Operators.Clas12.Simulation;
using Streams.Operators.Clas12.Tracking;
using Streams.Operators.Clas12.Validation;

namespace Streams.Operators.Clas12;

/// <summary>
/// Registers the CLAS12 operators (simulation, EVIO decoding, CODA streaming time frames, drift-chamber tracking,
/// calorimeter, validation, and the HIPO 4 file sink and source).
/// </summary>
public static class Clas12Operators
{
    public static OperatorCatalog Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Add(Clas12SimSource.Descriptor).Add(Clas12Decoder.Descriptor).Add(DcTrackingOperator.Descriptor).Add(EcOperator.Descriptor).Add(ValidationSink.Descriptor)
            .Add(Coda.CodaDecoder.Descriptor).Add(HipoFileSink.Descriptor).Add(HipoFileSource.Descriptor);
    }
}

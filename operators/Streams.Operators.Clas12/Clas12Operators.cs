using Streams.Engine.Operators;
using Streams.Operators.Clas12.Simulation;

namespace Streams.Operators.Clas12;

/// <summary>Registers the CLAS12 operators (simulation so far; decoding, tracking, calorimeter and validation follow).</summary>
public static class Clas12Operators
{
    public static OperatorCatalog Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Add(Clas12SimSource.Descriptor);
    }
}

namespace Streams.Operators.Clas12.Evio;

/// <summary>One drift-chamber hit: sector 1..6, layer 1..36, wire 1..112, TDC 0..65535.</summary>
public readonly record struct DcHit(byte Sector, byte Layer, byte Wire, ushort Tdc);

/// <summary>One calorimeter strip: sector 1..6, view 0..2 (U, V, W), strip 1..128, ADC 0..2^20-1, TDC.</summary>
public readonly record struct EcStrip(byte Sector, byte View, byte Strip, int Adc, int Tdc);

/// <summary>A generated particle (simulation truth; never read by reconstruction).</summary>
public readonly record struct TruthParticle(int Charge, double P, double Tx, double Ty, int Sector, bool InAcceptance);

/// <summary>The content of one raw CLAS12-like event.</summary>
public sealed class EvioEvent
{
    public List<DcHit> DcHits { get; } = [];

    public List<EcStrip> EcStrips { get; } = [];

    public List<TruthParticle> Truth { get; } = [];

    public void Clear()
    {
        DcHits.Clear();
        EcStrips.Clear();
        Truth.Clear();
    }
}

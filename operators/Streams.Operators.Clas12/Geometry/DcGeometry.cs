namespace Streams.Operators.Clas12.Geometry;

/// <summary>
/// A CLAS12-like drift-chamber geometry in each sector's mid-plane frame (z along the sector axis from the target,
/// x in the bending plane, y across it), in centimetres. 6 sectors x 3 regions x 2 superlayers x 6 layers x 112 wires;
/// wires of superlayer s are tilted by the stereo angle (-6 degrees for the first superlayer, alternating), so a layer
/// measures u = x cos(alpha) + y sin(alpha). Odd layers are staggered by half a cell.
/// </summary>
internal static class DcGeometry
{
    public const int Sectors = 6;
    public const int Regions = 3;
    public const int Superlayers = 6;
    public const int LayersPerSuperlayer = 6;
    public const int Layers = Superlayers * LayersPerSuperlayer; // 36
    public const int Wires = 112;
    public const double StereoDegrees = 6.0;

    /// <summary>Distance of each region's first layer from the target (cm).</summary>
    public static readonly double[] RegionZ = [230.0, 350.0, 480.0];

    /// <summary>Cell size (layer spacing and wire pitch) per region (cm).</summary>
    public static readonly double[] CellSize = [0.9, 1.3, 1.9];

    /// <summary>Gap between the two superlayers of a region (cm).</summary>
    public const double SuperlayerGap = 6.0;

    private static readonly double[] LayerZ = new double[Layers];
    private static readonly double[] Cos = new double[Superlayers];
    private static readonly double[] Sin = new double[Superlayers];

    static DcGeometry()
    {
        for (var l = 0; l < Layers; l++)
        {
            var sl = l / LayersPerSuperlayer;
            var r = sl / 2;
            var c = CellSize[r];
            LayerZ[l] = RegionZ[r] + ((sl % 2) * ((LayersPerSuperlayer * c) + SuperlayerGap)) + ((l % LayersPerSuperlayer) * c);
        }

        for (var sl = 0; sl < Superlayers; sl++)
        {
            var a = StereoAngle(sl);
            Cos[sl] = Math.Cos(a);
            Sin[sl] = Math.Sin(a);
        }
    }

    /// <summary>Superlayer (0..5) of a layer (0..35).</summary>
    public static int SuperlayerOf(int layer) => layer / LayersPerSuperlayer;

    public static int RegionOf(int layer) => layer / (2 * LayersPerSuperlayer);

    /// <summary>Stereo angle of a superlayer in radians: -6 degrees for superlayer 0, then alternating.</summary>
    public static double StereoAngle(int superlayer) => (superlayer % 2 == 0 ? -StereoDegrees : StereoDegrees) * Math.PI / 180.0;

    public static double Z(int layer) => LayerZ[layer];

    public static double Cell(int layer) => CellSize[RegionOf(layer)];

    private static double Stagger(int layer) => layer % 2 == 1 ? 0.5 : 0.0;

    /// <summary>Measured coordinate u of wire <paramref name="wire"/> (1..112) in a layer.</summary>
    public static double WireU(int layer, int wire) => (wire - 56.5 + Stagger(layer)) * Cell(layer);

    /// <summary>The wire (1..112) nearest to coordinate u, or 0 when u is outside the layer.</summary>
    public static int WireAt(int layer, double u)
    {
        var w = (int)Math.Round((u / Cell(layer)) + 56.5 - Stagger(layer), MidpointRounding.AwayFromZero);
        return w is >= 1 and <= Wires ? w : 0;
    }

    /// <summary>The coordinate a layer measures for a point (x, y).</summary>
    public static double MeasuredU(int layer, double x, double y)
    {
        var sl = SuperlayerOf(layer);
        return (x * Cos[sl]) + (y * Sin[sl]);
    }

    public static double CosStereo(int layer) => Cos[SuperlayerOf(layer)];

    public static double SinStereo(int layer) => Sin[SuperlayerOf(layer)];
}

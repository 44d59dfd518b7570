namespace Streams.Operators.Clas12.Geometry;

/// <summary>
/// Trajectories in a simplified toroidal field: straight in y (y = ty z), bent in x only between the field's start and
/// end (x = tx z + kappa F(z), F the double integral of a uniform field over [Z1, Z2]). kappa = q K / p with
/// K = 0.003 B[T] per cm per GeV. Both coordinates are linear in (tx, ty, kappa), so fits are linear least squares.
/// </summary>
internal static class TrackModel
{
    /// <summary>Field region along z (cm): between region 1 and region 3.</summary>
    public const double Z1 = 260.0;

    public const double Z2 = 460.0;

    /// <summary>Field strength (T).</summary>
    public const double FieldTesla = 1.0;

    /// <summary>kappa per unit q/p: 0.003 B per cm per GeV.</summary>
    public const double K = 0.003 * FieldTesla;

    /// <summary>The bending integral F(z).</summary>
    public static double F(double z)
    {
        if (z <= Z1) return 0;
        if (z <= Z2) return 0.5 * (z - Z1) * (z - Z1);
        var l = Z2 - Z1;
        return (0.5 * l * l) + (l * (z - Z2));
    }

    public static double X(double tx, double kappa, double z) => (tx * z) + (kappa * F(z));

    public static double Kappa(int charge, double p) => charge * K / p;

    /// <summary>Momentum from kappa (GeV); charge is the sign of kappa.</summary>
    public static double Momentum(double kappa) => K / Math.Abs(kappa);
}

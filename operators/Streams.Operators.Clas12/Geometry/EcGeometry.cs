namespace Streams.Operators.Clas12.Geometry;

/// <summary>
/// A sampling calorimeter behind the chambers: a plane at z = 700 cm with three strip views (U, V, W) at 0, 60 and
/// 120 degrees in the (x, y) plane, 100 strips of 4.5 cm per view, centred on the sector axis.
/// </summary>
internal static class EcGeometry
{
    public const double Z = 700.0;
    public const int Views = 3;
    public const int Strips = 100;
    public const double StripWidth = 4.5;

    public static double ViewAngle(int view) => view * Math.PI / 3.0;

    /// <summary>The coordinate a view measures at (x, y).</summary>
    public static double Coordinate(int view, double x, double y) => (x * Math.Cos(ViewAngle(view))) + (y * Math.Sin(ViewAngle(view)));

    /// <summary>Strip (1..100) covering coordinate v, or 0 outside.</summary>
    public static int StripAt(double v)
    {
        var s = (int)Math.Floor((v / StripWidth) + (Strips / 2.0)) + 1;
        return s is >= 1 and <= Strips ? s : 0;
    }

    /// <summary>Centre coordinate of a strip.</summary>
    public static double StripCentre(int strip) => (strip - 1 - (Strips / 2.0) + 0.5) * StripWidth;
}

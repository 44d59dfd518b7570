using Streams.Operators.Clas12.Geometry;

namespace Streams.Operators.Clas12.Tracking;

/// <summary>The track fit of <see cref="DcTracker"/>: hit-based on wire positions, then time-based with drift distances.</summary>
public sealed partial class DcTracker
{
    /// <summary>Hit-based fit on wire positions, then time-based iterations with drift distances.</summary>
    private Candidate? Fit(List<int> hits)
    {
        if (hits.Count < 8) return null;
        if (_signs.Length < hits.Count) _signs = new int[2 * hits.Count];
        var signs = _signs; // 0: wire position (hit-based); +-1: side of the wire (time-based)
        Array.Clear(signs, 0, hits.Count);
        var theta = Solve(hits, signs, hitBased: true);
        if (theta is null) return null;
        for (var iteration = 0; iteration < 10; iteration++)
        {
            var changed = false;
            for (var k = 0; k < hits.Count; k++)
            {
                var h = _hits[hits[k]];
                var side = Predict(theta.Value, h) >= DcGeometry.WireU(h.Layer, h.Wire) ? 1 : -1;
                if (side != signs[k]) changed = true;
                signs[k] = side;
            }

            theta = Solve(hits, signs, hitBased: false);
            if (theta is null) return null;
            if (!changed) break;
        }

        // drop gross outliers (noise hits that joined a segment), a few at most
        for (var drop = 0; drop < 4 && hits.Count > 10; drop++)
        {
            var worst = -1;
            var worstPull = 6.0;
            for (var k = 0; k < hits.Count; k++)
            {
                var pull = Math.Abs(Residual(theta!.Value, _hits[hits[k]], signs[k])) / resolution;
                if (pull > worstPull)
                {
                    worstPull = pull;
                    worst = k;
                }
            }

            if (worst < 0) break;
            hits.RemoveAt(worst);
            Array.Copy(signs, worst + 1, signs, worst, hits.Count - worst);
            theta = Solve(hits, signs, hitBased: false);
            if (theta is null) return null;
        }

        double chi2 = 0;
        for (var k = 0; k < hits.Count; k++)
        {
            var r = Residual(theta!.Value, _hits[hits[k]], signs[k]) / resolution;
            chi2 += r * r;
        }

        var (tx, ty, kappa) = theta!.Value;
        return new Candidate(tx, ty, kappa, chi2 / (hits.Count - 3), hits.Count, [], 0);
    }

    /// <summary>
    /// The mean residual (measured - fitted, cm) per superlayer of an accepted track, over the hits of its segments
    /// that the fit keeps (pull under 6; the side of the wire from the track), NaN in a superlayer it has no hit in.
    /// Only for tracks taken, not for every candidate tried.
    /// </summary>
    private double[] SuperlayerResiduals(Candidate c)
    {
        var theta = (c.Tx, c.Ty, c.Kappa);
        var residuals = new double[DcGeometry.Superlayers];
        Span<int> n = stackalloc int[DcGeometry.Superlayers];
        n.Clear();
        foreach (var segment in c.Segments)
        {
            foreach (var i in _segments[segment].Hits)
            {
                var h = _hits[i];
                var side = Predict(theta, h) >= DcGeometry.WireU(h.Layer, h.Wire) ? 1 : -1;
                var residual = Residual(theta, h, side);
                if (Math.Abs(residual) > 6 * resolution) continue;
                var sl = h.Layer / DcGeometry.LayersPerSuperlayer;
                residuals[sl] += residual;
                n[sl]++;
            }
        }

        for (var sl = 0; sl < residuals.Length; sl++) residuals[sl] = n[sl] == 0 ? double.NaN : residuals[sl] / n[sl];
        return residuals;
    }

    private static double Predict((double Tx, double Ty, double Kappa) t, TrackingHit h)
    {
        var z = DcGeometry.Z(h.Layer);
        return DcGeometry.MeasuredU(h.Layer, TrackModel.X(t.Tx, t.Kappa, z), t.Ty * z);
    }

    private static double Measured(TrackingHit h, int sign) => DcGeometry.WireU(h.Layer, h.Wire) + (sign * h.Drift);

    private static double Residual((double, double, double) t, TrackingHit h, int sign) => Measured(h, sign) - Predict(t, h);

    /// <summary>Weighted linear least squares for (tx, ty, kappa): u = cos(a) (tx z + kappa F(z)) + sin(a) ty z.</summary>
    private (double Tx, double Ty, double Kappa)? Solve(List<int> hits, int[] signs, bool hitBased)
    {
        Span<double> m = stackalloc double[9];
        Span<double> v = stackalloc double[3];
        m.Clear();
        v.Clear();
        for (var k = 0; k < hits.Count; k++)
        {
            var h = _hits[hits[k]];
            var z = DcGeometry.Z(h.Layer);
            var c = DcGeometry.CosStereo(h.Layer);
            var s = DcGeometry.SinStereo(h.Layer);
            double f0 = c * z, f1 = s * z, f2 = c * TrackModel.F(z);
            var sigma = hitBased ? DcGeometry.Cell(h.Layer) / Math.Sqrt(12) : resolution;
            var w = 1 / (sigma * sigma);
            var u = hitBased ? DcGeometry.WireU(h.Layer, h.Wire) : Measured(h, signs[k]);
            m[0] += w * f0 * f0; m[1] += w * f0 * f1; m[2] += w * f0 * f2;
            m[4] += w * f1 * f1; m[5] += w * f1 * f2; m[8] += w * f2 * f2;
            v[0] += w * f0 * u; v[1] += w * f1 * u; v[2] += w * f2 * u;
        }

        m[3] = m[1]; m[6] = m[2]; m[7] = m[5];
        var det = (m[0] * ((m[4] * m[8]) - (m[5] * m[7]))) - (m[1] * ((m[3] * m[8]) - (m[5] * m[6]))) + (m[2] * ((m[3] * m[7]) - (m[4] * m[6])));
        if (Math.Abs(det) < 1e-30) return null;
        // Cramer's rule
        double D(double a0, double a1, double a2, double b0, double b1, double b2, double c0, double c1, double c2) =>
            (a0 * ((b1 * c2) - (b2 * c1))) - (a1 * ((b0 * c2) - (b2 * c0))) + (a2 * ((b0 * c1) - (b1 * c0)));
        var tx = D(v[0], m[1], m[2], v[1], m[4], m[5], v[2], m[7], m[8]) / det;
        var ty = D(m[0], v[0], m[2], m[3], v[1], m[5], m[6], v[2], m[8]) / det;
        var kappa = D(m[0], m[1], v[0], m[3], m[4], v[1], m[6], m[7], v[2]) / det;
        return (tx, ty, kappa);
    }
}

using Streams.Operators.Clas12.Geometry;

namespace Streams.Operators.Clas12.Tracking;

/// <summary>A drift-chamber hit for tracking: sector 1..6, layer 0..35, wire 1..112, drift distance (cm).</summary>
public readonly record struct TrackingHit(int Sector, int Layer, int Wire, double Drift)
{
    /// <summary>The tracking view of a raw hit (layer 1..36 -> 0..35, TDC -> drift distance).</summary>
    public static TrackingHit From(Evio.DcHit hit, double driftVelocity = Simulation.Clas12Simulator.DriftVelocity) =>
        new(hit.Sector, hit.Layer - 1, hit.Wire, hit.Tdc * driftVelocity);
}

/// <summary>A reconstructed track: charge, momentum (GeV), slopes at the target, fit quality, hits and regions used.</summary>
public sealed record ReconstructedTrack(int Sector, int Charge, double P, double Tx, double Ty, double Kappa, double Chi2PerNdf, int Hits, int Regions)
{
    /// <summary>Mean residual (measured - fitted, cm) of the track's hits in each of the 6 superlayers; NaN where it has none.</summary>
    public IReadOnlyList<double> SuperlayerResiduals { get; init; } = [];
}

/// <summary>
/// CLAS12-style drift-chamber tracking in the simplified field: per superlayer, clusters of contiguous wires with noise
/// pruning and a line fit -> segments; the two stereo superlayers of a region -> crosses (x, y); one cross per region
/// -> candidates (a missing region recovered from the other two); a linear least-squares track fit, first hit-based
/// (wire positions), then time-based (drift distances, left/right resolved against the previous fit, iterated, outliers
/// dropped) -> charge, momentum, slopes, chi2. Candidates are taken best first without sharing segments.
/// One instance per worker (it reuses its buffers).
/// </summary>
public sealed partial class DcTracker(double resolution = 0.03, double maxChi2PerNdf = 25)
{
    private const int MinLayersPerSegment = 4;
    private const int MaxCrossesPerRegion = 12;
    private const int MaxPairs = 4000;

    private readonly List<int>[] _bySuperlayer = [.. Enumerable.Range(0, DcGeometry.Superlayers).Select(_ => new List<int>())];
    private readonly List<Segment> _segments = [];
    private readonly List<Cross>[] _crosses = [.. Enumerable.Range(0, DcGeometry.Regions).Select(_ => new List<Cross>())];
    private readonly List<Candidate> _candidates = [];
    private readonly List<int> _fitHits = [];
    private readonly List<int> _work = [];
    private readonly List<int> _inliers = [];
    private readonly List<int> _best = [];
    private readonly HashSet<int> _used = [];
    private int[] _signs = new int[64];
    private int[] _parent = new int[64];
    private TrackingHit[] _hits = [];

    /// <summary>Reconstructs the tracks of one event into <paramref name="tracks"/> (cleared first).</summary>
    public void Reconstruct(IReadOnlyList<TrackingHit> hits, List<ReconstructedTrack> tracks)
    {
        ArgumentNullException.ThrowIfNull(hits);
        ArgumentNullException.ThrowIfNull(tracks);
        tracks.Clear();
        if (_hits.Length < hits.Count) _hits = new TrackingHit[Math.Max(hits.Count, 2 * _hits.Length)];
        for (var i = 0; i < hits.Count; i++) _hits[i] = hits[i];
        for (var sector = 1; sector <= DcGeometry.Sectors; sector++)
        {
            foreach (var l in _bySuperlayer) l.Clear();
            for (var i = 0; i < hits.Count; i++)
            {
                if (_hits[i].Sector == sector) _bySuperlayer[DcGeometry.SuperlayerOf(_hits[i].Layer)].Add(i);
            }

            _segments.Clear();
            for (var sl = 0; sl < DcGeometry.Superlayers; sl++) FindSegments(sl);
            FindCrosses();
            FindTracks(sector, tracks);
        }
    }

    // ---- segments -------------------------------------------------------------------------------------------

    private void FindSegments(int sl)
    {
        var list = _bySuperlayer[sl];
        var n = list.Count;
        if (n < MinLayersPerSegment) return;
        if (_parent.Length < n) _parent = new int[2 * n];
        for (var i = 0; i < n; i++) _parent[i] = i;
        for (var i = 0; i < n; i++)
        {
            var a = _hits[list[i]];
            var ua = DcGeometry.WireU(a.Layer, a.Wire);
            var cell = DcGeometry.Cell(a.Layer);
            for (var j = i + 1; j < n; j++)
            {
                var b = _hits[list[j]];
                var dl = Math.Abs(a.Layer - b.Layer);
                if (dl is 0 or > 2) continue;
                if (Math.Abs(ua - DcGeometry.WireU(b.Layer, b.Wire)) <= cell * ((0.9 * dl) + 0.6)) Union(i, j);
            }
        }

        for (var root = 0; root < n; root++)
        {
            if (Find(root) != root) continue;
            _work.Clear();
            for (var i = 0; i < n; i++)
            {
                if (Find(i) == root) _work.Add(list[i]);
            }

            if (DistinctLayers(_work) < MinLayersPerSegment) continue; // noise
            FitSegments(sl, _work);
        }
    }

    /// <summary>
    /// Finds the segments in one cluster, robust to noise hits that joined it: every pair of hits on different layers
    /// proposes a line; the line with most hits within 0.8 cell (one per layer, the closest) wins and is refitted;
    /// its hits are removed and the search repeats while 4 layers remain (two tracks can share a cluster).
    /// </summary>
    private void FitSegments(int sl, List<int> hits)
    {
        var cell = DcGeometry.CellSize[sl / 2];
        var inliers = _inliers;
        var best = _best;
        while (DistinctLayers(hits) >= MinLayersPerSegment)
        {
            best.Clear();
            var bestSpread = 0.0;
            var pairs = 0; // a hot chamber must not make this cubic search run away: at most MaxPairs lines tried
            for (var i = 0; i < hits.Count && pairs < MaxPairs; i++)
            {
                var hi = _hits[hits[i]];
                double zi = DcGeometry.Z(hi.Layer), ui = DcGeometry.WireU(hi.Layer, hi.Wire);
                for (var j = i + 1; j < hits.Count; j++)
                {
                    var hj = _hits[hits[j]];
                    if (Math.Abs(hj.Layer - hi.Layer) < 2 && hits.Count > 12) continue; // far-apart pairs fix a line best
                    if (hj.Layer == hi.Layer || ++pairs > MaxPairs) continue;
                    double zj = DcGeometry.Z(hj.Layer), uj = DcGeometry.WireU(hj.Layer, hj.Wire);
                    var b = (uj - ui) / (zj - zi);
                    var a = ui - (b * zi);
                    Inliers(hits, a, b, 0.8 * cell, inliers);
                    var spread = Residuals(inliers, a, b);
                    if (inliers.Count > best.Count || (inliers.Count == best.Count && spread < bestSpread))
                    {
                        best.Clear();
                        best.AddRange(inliers);
                        bestSpread = spread;
                    }
                }
            }

            if (best.Count < MinLayersPerSegment) return;
            var (fa, fb) = LineFit(best);
            Inliers(hits, fa, fb, 0.8 * cell, inliers);
            if (inliers.Count < MinLayersPerSegment)
            {
                inliers.Clear();
                inliers.AddRange(best);
            }

            (fa, fb) = LineFit(inliers);
            var segmentHits = inliers.ToArray();
            _segments.Add(new Segment(sl, fa, fb, segmentHits));
            foreach (var h in segmentHits) hits.Remove(h);
        }
    }

    /// <summary>Hits within <paramref name="window"/> of the line, at most one per layer (the closest).</summary>
    private void Inliers(List<int> hits, double a, double b, double window, List<int> into)
    {
        into.Clear();
        Span<int> perLayer = stackalloc int[DcGeometry.LayersPerSuperlayer];
        Span<double> distance = stackalloc double[DcGeometry.LayersPerSuperlayer];
        perLayer.Fill(-1);
        foreach (var i in hits)
        {
            var h = _hits[i];
            var d = Math.Abs(DcGeometry.WireU(h.Layer, h.Wire) - (a + (b * DcGeometry.Z(h.Layer))));
            if (d > window) continue;
            var l = h.Layer % DcGeometry.LayersPerSuperlayer;
            if (perLayer[l] < 0 || d < distance[l])
            {
                perLayer[l] = i;
                distance[l] = d;
            }
        }

        foreach (var i in perLayer)
        {
            if (i >= 0) into.Add(i);
        }
    }

    private double Residuals(List<int> hits, double a, double b)
    {
        var sum = 0.0;
        foreach (var i in hits)
        {
            var h = _hits[i];
            sum += Math.Abs(DcGeometry.WireU(h.Layer, h.Wire) - (a + (b * DcGeometry.Z(h.Layer))));
        }

        return sum;
    }

    private (double A, double B) LineFit(List<int> hits)
    {
        double s = 0, sz = 0, su = 0, szz = 0, szu = 0;
        foreach (var i in hits)
        {
            var h = _hits[i];
            var z = DcGeometry.Z(h.Layer);
            var u = DcGeometry.WireU(h.Layer, h.Wire);
            s++;
            sz += z;
            su += u;
            szz += z * z;
            szu += z * u;
        }

        var det = (s * szz) - (sz * sz);
        if (Math.Abs(det) < 1e-12) return (su / s, 0);
        var b = ((s * szu) - (sz * su)) / det;
        return ((su - (b * sz)) / s, b);
    }

    private int DistinctLayers(List<int> hits)
    {
        var mask = 0L;
        foreach (var i in hits) mask |= 1L << _hits[i].Layer;
        return System.Numerics.BitOperations.PopCount((ulong)mask);
    }

    private int Find(int i)
    {
        while (_parent[i] != i) i = _parent[i] = _parent[_parent[i]];
        return i;
    }

    private void Union(int i, int j) => _parent[Find(i)] = Find(j);

    // ---- crosses and candidates -------------------------------------------------------------------------------

    private void FindCrosses()
    {
        foreach (var c in _crosses) c.Clear();
        for (var i = 0; i < _segments.Count; i++)
        {
            var a = _segments[i];
            if (a.Superlayer % 2 != 0) continue;
            for (var j = 0; j < _segments.Count; j++)
            {
                var b = _segments[j];
                if (b.Superlayer != a.Superlayer + 1) continue;
                var region = a.Superlayer / 2;
                var z = DcGeometry.RegionZ[region] + (6 * DcGeometry.CellSize[region]) + (DcGeometry.SuperlayerGap / 2);
                var ua = a.A + (a.B * z);
                var ub = b.A + (b.B * z);
                var alpha = DcGeometry.StereoAngle(1);
                var x = (ua + ub) / (2 * Math.Cos(alpha));
                var y = (ub - ua) / (2 * Math.Sin(alpha));
                if (Math.Abs(y) > (0.12 * z) + 5) continue; // outside the sector's opening: a wrong pairing
                if (_crosses[region].Count < MaxCrossesPerRegion) _crosses[region].Add(new Cross(i, j, x, y, z));
            }
        }
    }

    private void FindTracks(int sector, List<ReconstructedTrack> tracks)
    {
        _candidates.Clear();
        var r1 = _crosses[0];
        var r2 = _crosses[1];
        var r3 = _crosses[2];
        foreach (var a in r1)
        {
            foreach (var b in r2)
            {
                if (!SameTy(a, b)) continue;
                foreach (var c in r3)
                {
                    if (SameTy(b, c)) TryCandidate(a, b, c);
                }
            }
        }

        // recover a missing region: pairs of crosses from two regions
        foreach (var a in r1)
        {
            foreach (var b in r2) if (SameTy(a, b)) TryCandidate(a, b, null);
            foreach (var c in r3) if (SameTy(a, c)) TryCandidate(a, c, null);
        }

        foreach (var b in r2)
        {
            foreach (var c in r3) if (SameTy(b, c)) TryCandidate(b, c, null);
        }

        _candidates.Sort((x, y) => x.Regions != y.Regions ? y.Regions.CompareTo(x.Regions) : x.Chi2PerNdf.CompareTo(y.Chi2PerNdf));
        var used = _used;
        used.Clear();
        foreach (var c in _candidates)
        {
            var shares = false;
            foreach (var s in c.Segments) shares |= used.Contains(s);
            if (shares) continue;
            foreach (var s in c.Segments) used.Add(s);
            tracks.Add(new ReconstructedTrack(sector, Math.Sign(c.Kappa), TrackModel.Momentum(c.Kappa), c.Tx, c.Ty, c.Kappa, c.Chi2PerNdf, c.Hits, c.Regions) { SuperlayerResiduals = SuperlayerResiduals(c) });
        }
    }

    private static bool SameTy(Cross a, Cross b) => Math.Abs((a.Y / a.Z) - (b.Y / b.Z)) < 0.03;

    private void TryCandidate(Cross a, Cross b, Cross? c)
    {
        _fitHits.Clear();
        _fitHits.AddRange(_segments[a.SegmentA].Hits);
        _fitHits.AddRange(_segments[a.SegmentB].Hits);
        _fitHits.AddRange(_segments[b.SegmentA].Hits);
        _fitHits.AddRange(_segments[b.SegmentB].Hits);
        if (c is not null)
        {
            _fitHits.AddRange(_segments[c.SegmentA].Hits);
            _fitHits.AddRange(_segments[c.SegmentB].Hits);
        }

        if (Fit(_fitHits) is not { } fit || fit.Chi2PerNdf > maxChi2PerNdf || fit.Kappa == 0) return;
        int[] segs = c is null ? [a.SegmentA, a.SegmentB, b.SegmentA, b.SegmentB] : [a.SegmentA, a.SegmentB, b.SegmentA, b.SegmentB, c.SegmentA, c.SegmentB];
        _candidates.Add(fit with { Segments = segs, Regions = c is null ? 2 : 3 });
    }

    private sealed record Segment(int Superlayer, double A, double B, int[] Hits);

    private sealed record Cross(int SegmentA, int SegmentB, double X, double Y, double Z);

    private sealed record Candidate(double Tx, double Ty, double Kappa, double Chi2PerNdf, int Hits, int[] Segments, int Regions);
}

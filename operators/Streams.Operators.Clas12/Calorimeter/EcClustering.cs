using Apache.Arrow;
using Apache.Arrow.Types;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Operators.Clas12.Decoding;
using Streams.Operators.Clas12.Geometry;
using Streams.Operators.Clas12.Tracking;

namespace Streams.Operators.Clas12.Calorimeter;

/// <summary>A calorimeter cluster: sector, energy (GeV), position (x, y) on the calorimeter plane (cm).</summary>
internal readonly record struct EcCluster(int Sector, double Energy, double X, double Y);

/// <summary>
/// Calorimeter reconstruction: per sector and view, contiguous strips above threshold -> peaks (energy, ADC-weighted
/// centroid); one peak per view whose coordinates agree (u - v + w = 0 for views at 0, 60, 120 degrees) -> a cluster with
/// energy and position; each track is matched to the nearest cluster at the calorimeter plane.
/// </summary>
internal sealed class EcClusterer(double adcPerGeV = 10_000, int threshold = 50, double matchDistance = 15)
{
    private readonly List<(int Sector, int View, double Coordinate, double Energy)> _peaks = [];

    public void Cluster(IReadOnlyList<(int Sector, int View, int Strip, int Adc)> strips, List<EcCluster> clusters)
    {
        ArgumentNullException.ThrowIfNull(strips);
        ArgumentNullException.ThrowIfNull(clusters);
        clusters.Clear();
        _peaks.Clear();
        var sorted = strips.Where(s => s.Adc >= threshold).OrderBy(s => s.Sector).ThenBy(s => s.View).ThenBy(s => s.Strip).ToList();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            double e = 0, w = 0;
            while (j < sorted.Count && sorted[j].Sector == sorted[i].Sector && sorted[j].View == sorted[i].View && sorted[j].Strip == sorted[i].Strip + (j - i))
            {
                e += sorted[j].Adc;
                w += sorted[j].Adc * EcGeometry.StripCentre(sorted[j].Strip);
                j++;
            }

            _peaks.Add((sorted[i].Sector, sorted[i].View, w / e, e / adcPerGeV));
            i = j;
        }

        foreach (var u in _peaks.Where(p => p.View == 0))
        {
            foreach (var v in _peaks.Where(p => p.View == 1 && p.Sector == u.Sector))
            {
                foreach (var w in _peaks.Where(p => p.View == 2 && p.Sector == u.Sector))
                {
                    if (Math.Abs(u.Coordinate - v.Coordinate + w.Coordinate) > 2 * EcGeometry.StripWidth) continue;
                    var x = u.Coordinate;
                    var y = (v.Coordinate - (0.5 * x)) / Math.Sin(Math.PI / 3);
                    clusters.Add(new EcCluster(u.Sector, u.Energy + v.Energy + w.Energy, x, y));
                }
            }
        }
    }

    /// <summary>Energy of the cluster nearest to where the track crosses the calorimeter, or 0 when none is close.</summary>
    public double Match(ReconstructedTrack track, IReadOnlyList<EcCluster> clusters)
    {
        ArgumentNullException.ThrowIfNull(track);
        ArgumentNullException.ThrowIfNull(clusters);
        var x = TrackModel.X(track.Tx, track.Kappa, EcGeometry.Z);
        var y = track.Ty * EcGeometry.Z;
        var best = 0.0;
        var bestDistance = matchDistance;
        foreach (var c in clusters)
        {
            if (c.Sector != track.Sector) continue;
            var d = Math.Sqrt(((c.X - x) * (c.X - x)) + ((c.Y - y) * (c.Y - y)));
            if (d < bestDistance)
            {
                bestDistance = d;
                best = c.Energy;
            }
        }

        return best;
    }
}

/// <summary>The <c>clas12-ec</c> processor: calorimeter clusters, matched to the tracks (columns added).</summary>
public sealed class EcOperator : IProcessor
{
    public const string DataType = "arrow/clas12-reco";
    public const string ClusterEnergy = "ec_cluster_energy";
    public const string TrackEnergy = "trk_ec_energy";

    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "clas12-ec",
        Kind = OperatorKind.Processor,
        Description = "Calorimeter clustering (strips -> peaks -> clusters) and track matching.",
        InputTypes = [TrackColumns.DataType],
        OutputType = DataType,
        Factory = () => new EcOperator(),
    };

    private readonly EcClusterer _clusterer = new();
    private readonly List<(int, int, int, int)> _strips = [];
    private readonly List<EcCluster> _clusters = [];

    public void Configure(OperatorConfig config)
    {
    }

    public void Reset()
    {
    }

    public EventBatch? Process(EventBatch input, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var records = input.Records ?? throw new InvalidOperationException("clas12-ec needs tracked events (an Arrow payload)");
        var sec = ListColumns.Column(records, HitColumns.EcSector);
        var sv = (UInt8Array)sec.Values;
        var vv = (UInt8Array)ListColumns.Column(records, HitColumns.EcView).Values;
        var stv = (UInt8Array)ListColumns.Column(records, HitColumns.EcStrip).Values;
        var av = (Int32Array)ListColumns.Column(records, HitColumns.EcAdc).Values;
        var tsec = ListColumns.Column(records, TrackColumns.Sector);
        var tsv = (UInt8Array)tsec.Values;
        var txv = (FloatArray)ListColumns.Column(records, TrackColumns.Tx).Values;
        var tyv = (FloatArray)ListColumns.Column(records, TrackColumns.Ty).Values;
        var tkv = (FloatArray)ListColumns.Column(records, TrackColumns.Kappa).Values;
        var clusterEnergy = new ListColumn<FloatArray.Builder>(ClusterEnergy, FloatType.Default);
        var trackEnergy = new ListColumn<FloatArray.Builder>(TrackEnergy, FloatType.Default);
        for (var row = 0; row < records.Length; row++)
        {
            _strips.Clear();
            var (s0, s1) = ListColumns.Range(sec, row);
            for (var k = s0; k < s1; k++) _strips.Add((sv.GetValue(k) ?? 0, vv.GetValue(k) ?? 0, stv.GetValue(k) ?? 0, av.GetValue(k) ?? 0));
            _clusterer.Cluster(_strips, _clusters);
            clusterEnergy.StartRow();
            foreach (var c in _clusters) clusterEnergy.Values.Append((float)c.Energy);
            trackEnergy.StartRow();
            var (t0, t1) = ListColumns.Range(tsec, row);
            for (var k = t0; k < t1; k++)
            {
                var t = new ReconstructedTrack(tsv.GetValue(k) ?? 0, 0, 0, txv.GetValue(k) ?? 0, tyv.GetValue(k) ?? 0, tkv.GetValue(k) ?? 0, 0, 0, 0);
                trackEnergy.Values.Append((float)_clusterer.Match(t, _clusters));
            }
        }

        var output = ListColumns.Extend(records, [(clusterEnergy.Field, clusterEnergy.Build()), (trackEnergy.Field, trackEnergy.Build())]);
        return EventBatch.FromRecords(input, DataType, output);
    }

    public void Dispose()
    {
    }
}

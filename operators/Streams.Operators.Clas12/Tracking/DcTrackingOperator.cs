using Apache.Arrow;
using Apache.Arrow.Types;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Operators.Clas12.Decoding;
using Streams.Operators.Clas12.Simulation;

namespace Streams.Operators.Clas12.Tracking;

/// <summary>Column names the tracking stage adds (one list per event).</summary>
internal static class TrackColumns
{
    public const string DataType = "arrow/clas12-tracks";
    public const string Sector = "trk_sector";
    public const string Charge = "trk_charge";
    public const string P = "trk_p";
    public const string Tx = "trk_tx";
    public const string Ty = "trk_ty";
    public const string Kappa = "trk_kappa";
    public const string Chi2 = "trk_chi2";
    public const string Hits = "trk_hits";

    /// <summary>Each track's mean hit residual (cm) in superlayers 1-6: six values per track, in track order (NaN: no hit there).</summary>
    public const string Residuals = "trk_res_sl";
}

/// <summary>The <c>clas12-dc-tracking</c> processor: decoded hits -> tracks (columns added to the batch).</summary>
public sealed class DcTrackingOperator : IProcessor
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "clas12-dc-tracking",
        Kind = OperatorKind.Processor,
        Description = "Drift-chamber tracking: clusters -> segments -> crosses -> candidates -> hit- and time-based track fit.",
        InputTypes = [HitColumns.DataType],
        OutputType = TrackColumns.DataType,
        Parameters =
        [
            new("resolution", ParameterType.Double, "0.03", "Hit resolution assumed by the time-based fit (cm).") { Min = 0.001, Max = 1 },
            new("max-chi2", ParameterType.Double, "25", "Largest chi2 per degree of freedom of an accepted track.") { Min = 1 },
            new("drift-velocity", ParameterType.Double, "0.005", "Drift velocity (cm/ns) turning TDC into distance.") { Min = 0.0001 },
        ],
        Factory = () => new DcTrackingOperator(),
    };

    private DcTracker _tracker = new();
    private double _driftVelocity = Clas12Simulator.DriftVelocity;
    private readonly List<TrackingHit> _hits = [];
    private readonly List<ReconstructedTrack> _tracks = [];

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _tracker = new DcTracker(config.GetDouble("resolution"), config.GetDouble("max-chi2"));
        _driftVelocity = config.GetDouble("drift-velocity");
    }

    public void Reset()
    {
    }

    public EventBatch? Process(EventBatch input, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var records = input.Records ?? throw new InvalidOperationException("clas12-dc-tracking needs decoded hits (an Arrow payload)");
        var sectors = ListColumns.Column(records, HitColumns.DcSector);
        var layers = ListColumns.Column(records, HitColumns.DcLayer);
        var wires = ListColumns.Column(records, HitColumns.DcWire);
        var tdcs = ListColumns.Column(records, HitColumns.DcTdc);
        var sv = (UInt8Array)sectors.Values;
        var lv = (UInt8Array)layers.Values;
        var wv = (UInt8Array)wires.Values;
        var tv = (UInt16Array)tdcs.Values;

        var sector = new ListColumn<UInt8Array.Builder>(TrackColumns.Sector, UInt8Type.Default);
        var charge = new ListColumn<Int8Array.Builder>(TrackColumns.Charge, Int8Type.Default);
        var p = new ListColumn<FloatArray.Builder>(TrackColumns.P, FloatType.Default);
        var tx = new ListColumn<FloatArray.Builder>(TrackColumns.Tx, FloatType.Default);
        var ty = new ListColumn<FloatArray.Builder>(TrackColumns.Ty, FloatType.Default);
        var kappa = new ListColumn<FloatArray.Builder>(TrackColumns.Kappa, FloatType.Default);
        var chi2 = new ListColumn<FloatArray.Builder>(TrackColumns.Chi2, FloatType.Default);
        var nhits = new ListColumn<UInt8Array.Builder>(TrackColumns.Hits, UInt8Type.Default);
        var residuals = new ListColumn<FloatArray.Builder>(TrackColumns.Residuals, FloatType.Default);
        for (var row = 0; row < records.Length; row++)
        {
            _hits.Clear();
            var (start, end) = ListColumns.Range(sectors, row);
            for (var k = start; k < end; k++)
            {
                _hits.Add(new TrackingHit(sv.GetValue(k) ?? 0, (lv.GetValue(k) ?? 1) - 1, wv.GetValue(k) ?? 0, (tv.GetValue(k) ?? 0) * _driftVelocity));
            }

            _tracker.Reconstruct(_hits, _tracks);
            sector.StartRow(); charge.StartRow(); p.StartRow(); tx.StartRow(); ty.StartRow(); kappa.StartRow(); chi2.StartRow(); nhits.StartRow();
            residuals.StartRow();
            foreach (var t in _tracks)
            {
                sector.Values.Append((byte)t.Sector);
                charge.Values.Append((sbyte)t.Charge);
                p.Values.Append((float)t.P);
                tx.Values.Append((float)t.Tx);
                ty.Values.Append((float)t.Ty);
                kappa.Values.Append((float)t.Kappa);
                chi2.Values.Append((float)t.Chi2PerNdf);
                nhits.Values.Append((byte)t.Hits);
                for (var sl = 0; sl < Geometry.DcGeometry.Superlayers; sl++) residuals.Values.Append(sl < t.SuperlayerResiduals.Count ? (float)t.SuperlayerResiduals[sl] : float.NaN);
            }
        }

        var output = ListColumns.Extend(records,
        [
            (sector.Field, sector.Build()), (charge.Field, charge.Build()), (p.Field, p.Build()), (tx.Field, tx.Build()),
            (ty.Field, ty.Build()), (kappa.Field, kappa.Build()), (chi2.Field, chi2.Build()), (nhits.Field, nhits.Build()),
            (residuals.Field, residuals.Build()),
        ]);
        return EventBatch.FromRecords(input, TrackColumns.DataType, output);
    }

    public void Dispose()
    {
    }
}

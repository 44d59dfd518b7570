using Streams.Reporting;
using System.Globalization;
using Apache.Arrow;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Operators.Clas12.Decoding;
using Streams.Operators.Clas12.Tracking;

namespace Streams.Operators.Clas12.Validation;

/// <summary>
/// The <c>clas12-validate</c> sink: matches reconstructed tracks to the simulated truth one to one, best
/// first (same sector and charge, slopes within 0.01 / 0.02, momentum within 20%) and reports efficiency (matched / generated in acceptance), fake rate
/// (unmatched / reconstructed) and momentum resolution (sigma of dp/p) in the run summary (<c>"validation"</c>) and
/// as plots (PNG and SVG, drawn by <see cref="PhysicsPlots"/>) with CSV data in the output folder: dp/p with its
/// Gaussian fit, efficiency against momentum and against the polar angle (from the true slopes) with Wilson errors,
/// and the tracks' hit residuals per superlayer.
/// </summary>
internal sealed class ValidationSink : ISink
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "clas12-validate",
        Kind = OperatorKind.Sink,
        Description = "Validates reconstruction against simulated truth: efficiency, fake rate, momentum resolution, plots.",
        InputTypes = [TrackColumns.DataType, Calorimeter.EcOperator.DataType],
        MaxWorkers = 1,
        Parameters =
        [
            new("output", ParameterType.String, "out/validation", "Folder for the plots (dpp, efficiency, efficiency-theta, residuals: PNG and SVG) and their CSV data."),
        ],
        Factory = () => new ValidationSink(),
    };

    private const double PBin = 0.5;
    private const int PBins = 24; // 0 .. 12 GeV
    private readonly long[] _acceptedByP = new long[PBins];
    private readonly long[] _foundByP = new long[PBins];
    private const double ThetaBin = 1; // degrees
    private const int ThetaBins = 45;  // 0 .. 45 degrees
    private readonly long[] _acceptedByTheta = new long[ThetaBins];
    private readonly long[] _foundByTheta = new long[ThetaBins];
    private readonly List<double> _dpp = [];
    private readonly List<double>[] _residuals = [.. Enumerable.Range(0, Geometry.DcGeometry.Superlayers).Select(_ => new List<double>())];
    private readonly List<(int Track, int Truth, double Dpp)> _pairs = [];
    private readonly HashSet<int> _trackUsed = [];
    private readonly HashSet<int> _truthUsed = [];
    private string _output = "";
    private long _events, _accepted, _found, _reco, _fake;
    private bool _registered;
    private RunLog? _log;
    private string _stage = "";
    private object? _result;

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _output = config.GetString("output");
        if (!string.IsNullOrEmpty(_output)) OutputCheck.FolderCanBeWritten(config, "output", _output);
    }

    public void Reset()
    {
    }

    /// <summary>The matching rule between a reconstructed track and a generated particle.</summary>
    public static bool Matches(int sector, int charge, double p, double tx, double ty, int trueSector, int trueCharge, double trueP, double trueTx, double trueTy) =>
        sector == trueSector && charge == trueCharge && Math.Abs(tx - trueTx) < 0.01 && Math.Abs(ty - trueTy) < 0.02 && Math.Abs((p - trueP) / trueP) < 0.2;

    public void Write(EventBatch batch, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        if (!_registered)
        {
            _registered = true;
            _log = context.Log;
            _stage = context.StageName;
            context.AddSummarySection("validation", () => _result ?? Compute(write: false));
        }

        var r = batch.Records ?? throw new InvalidOperationException("clas12-validate needs reconstructed events (an Arrow payload)");
        var tSec = ListColumns.Column(r, HitColumns.TruthSector);
        var tsv = (UInt8Array)tSec.Values;
        var tcv = (Int8Array)ListColumns.Column(r, HitColumns.TruthCharge).Values;
        var tpv = (FloatArray)ListColumns.Column(r, HitColumns.TruthP).Values;
        var ttx = (FloatArray)ListColumns.Column(r, HitColumns.TruthTx).Values;
        var tty = (FloatArray)ListColumns.Column(r, HitColumns.TruthTy).Values;
        var tav = (BooleanArray)ListColumns.Column(r, HitColumns.TruthAccepted).Values;
        var rSec = ListColumns.Column(r, TrackColumns.Sector);
        var rsv = (UInt8Array)rSec.Values;
        var rcv = (Int8Array)ListColumns.Column(r, TrackColumns.Charge).Values;
        var rpv = (FloatArray)ListColumns.Column(r, TrackColumns.P).Values;
        var rtx = (FloatArray)ListColumns.Column(r, TrackColumns.Tx).Values;
        var rty = (FloatArray)ListColumns.Column(r, TrackColumns.Ty).Values;
        // Six per track; absent from tracks read back from files written before them.
        var rres = r.Schema.GetFieldIndex(TrackColumns.Residuals) >= 0 ? (FloatArray)ListColumns.Column(r, TrackColumns.Residuals).Values : null;
        for (var row = 0; row < r.Length; row++)
        {
            _events++;
            var (t0, t1) = ListColumns.Range(tSec, row);
            var (r0, r1) = ListColumns.Range(rSec, row);
            _reco += r1 - r0;

            // One-to-one matching, best first by |dp/p|: a track can stand for one particle only.
            _pairs.Clear();
            for (var k = r0; k < r1; k++)
            {
                for (var t = t0; t < t1; t++)
                {
                    var trueP = tpv.GetValue(t) ?? 1;
                    if (!Matches(rsv.GetValue(k) ?? 0, rcv.GetValue(k) ?? 0, rpv.GetValue(k) ?? 0, rtx.GetValue(k) ?? 0, rty.GetValue(k) ?? 0,
                        tsv.GetValue(t) ?? 0, tcv.GetValue(t) ?? 0, trueP, ttx.GetValue(t) ?? 0, tty.GetValue(t) ?? 0)) continue;
                    _pairs.Add((k, t, ((rpv.GetValue(k) ?? 0) - trueP) / trueP));
                }
            }

            _pairs.Sort((a, b) => Math.Abs(a.Dpp).CompareTo(Math.Abs(b.Dpp)));
            _trackUsed.Clear();
            _truthUsed.Clear();
            foreach (var (k, t, dpp) in _pairs)
            {
                if (_trackUsed.Contains(k) || _truthUsed.Contains(t)) continue;
                _trackUsed.Add(k);
                _truthUsed.Add(t);
                if (tav.GetValue(t) != true) continue;
                _found++;
                _foundByP[Math.Clamp((int)((tpv.GetValue(t) ?? 1) / PBin), 0, PBins - 1)]++;
                _foundByTheta[ThetaBinOf(ttx.GetValue(t) ?? 0, tty.GetValue(t) ?? 0)]++;
                if (_dpp.Count < 2_000_000) _dpp.Add(dpp);
                for (var sl = 0; rres is not null && sl < _residuals.Length; sl++)
                {
                    if (rres.GetValue((k * _residuals.Length) + sl) is { } res && float.IsFinite(res) && _residuals[sl].Count < 2_000_000) _residuals[sl].Add(res);
                }
            }

            _fake += (r1 - r0) - _trackUsed.Count;
            for (var t = t0; t < t1; t++)
            {
                if (tav.GetValue(t) != true) continue;
                _accepted++;
                _acceptedByP[Math.Clamp((int)((tpv.GetValue(t) ?? 1) / PBin), 0, PBins - 1)]++;
                _acceptedByTheta[ThetaBinOf(ttx.GetValue(t) ?? 0, tty.GetValue(t) ?? 0)]++;
            }
        }
    }

    public void Flush()
    {
        _result = Compute(write: _events > 0);
    }

    private object Compute(bool write)
    {
        var efficiency = _accepted == 0 ? 0 : _found / (double)_accepted;
        var fakeRate = _reco == 0 ? 0 : _fake / (double)_reco;
        var mean = _dpp.Count == 0 ? 0 : _dpp.Average();
        var sigma = _dpp.Count < 2 ? 0 : Math.Sqrt(_dpp.Sum(x => (x - mean) * (x - mean)) / (_dpp.Count - 1));
        var plots = new List<string>();
        HistogramFigure? figure = null;
        IReadOnlyList<ResidualStats>? residuals = null;
        if (write && !string.IsNullOrEmpty(_output))
        {
            Directory.CreateDirectory(_output);
            string In(string name) => Path.Combine(_output, name);
            figure = PhysicsPlots.Resolution(In("dpp.png"), In("dpp.csv"), _dpp);
            PhysicsPlots.Efficiency(In("efficiency.png"), In("efficiency.csv"), [.. Enumerable.Range(0, PBins + 1).Select(i => i * PBin)], _acceptedByP, _foundByP,
                "Tracking efficiency against momentum", "true momentum p (GeV)", "p_gev");
            PhysicsPlots.Efficiency(In("efficiency-theta.png"), In("efficiency-theta.csv"), [.. Enumerable.Range(0, ThetaBins + 1).Select(i => i * ThetaBin)], _acceptedByTheta, _foundByTheta,
                "Tracking efficiency against polar angle", "true polar angle in the track frame, θ = atan √(tx² + ty²) (degrees)", "theta_deg");
            plots.AddRange([In("dpp.png"), In("dpp.svg"), In("efficiency.png"), In("efficiency.svg"), In("efficiency-theta.png"), In("efficiency-theta.svg")]);
            if (_residuals.Any(l => l.Count > 0))
            {
                residuals = PhysicsPlots.Residuals(In("residuals.png"), In("residuals.csv"), _residuals);
                plots.AddRange([In("residuals.png"), In("residuals.svg")]);
            }

            _log?.Info(_stage, string.Create(CultureInfo.InvariantCulture,
                $"validation: {_accepted} tracks in acceptance, efficiency {efficiency:0.0000}, fake rate {fakeRate:0.0000}, sigma(dp/p) {sigma:0.00000} (Gaussian fit {figure.Fit.Sigma:0.00000} +- {figure.Fit.SigmaError:0.00000}); plots in {_output}"));
        }

        return new
        {
            events = _events,
            tracksInAcceptance = _accepted,
            tracksReconstructed = _reco,
            matched = _found,
            efficiency,
            fakeRate,
            momentumResolution = sigma,
            momentumBias = mean,
            residualsBySuperlayer = residuals?.Select(x => new { superlayer = x.Superlayer, tracks = x.Tracks, meanMicrons = x.MeanMicrons, rmsMicrons = x.RmsMicrons }),
            momentumResolutionFit = figure is { } f ? new { mean = f.Fit.Mean, meanError = f.Fit.MeanError, sigma = f.Fit.Sigma, sigmaError = f.Fit.SigmaError, entries = f.Entries, underflow = f.Underflow, overflow = f.Overflow } : null,
            plots,
        };
    }

    /// <summary>The polar-angle bin of a track of slopes (tx, ty): theta = atan(sqrt(tx^2 + ty^2)) in degrees.</summary>
    private static int ThetaBinOf(double tx, double ty) =>
        Math.Clamp((int)(Math.Atan(Math.Sqrt((tx * tx) + (ty * ty))) * 180 / Math.PI / ThetaBin), 0, ThetaBins - 1);

    public void Dispose()
    {
    }
}

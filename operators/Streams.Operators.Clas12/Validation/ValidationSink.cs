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
/// as PNG plots with CSV data in the output folder.
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
            new("output", ParameterType.String, "out/validation", "Folder for the plots (dpp.png, efficiency.png) and their CSV data."),
        ],
        Factory = () => new ValidationSink(),
    };

    private const double PBin = 0.5;
    private const int PBins = 24; // 0 .. 12 GeV
    private readonly long[] _acceptedByP = new long[PBins];
    private readonly long[] _foundByP = new long[PBins];
    private readonly List<double> _dpp = [];
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
                if (_dpp.Count < 2_000_000) _dpp.Add(dpp);
            }

            _fake += (r1 - r0) - _trackUsed.Count;
            for (var t = t0; t < t1; t++)
            {
                if (tav.GetValue(t) != true) continue;
                _accepted++;
                _acceptedByP[Math.Clamp((int)((tpv.GetValue(t) ?? 1) / PBin), 0, PBins - 1)]++;
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
        if (write && !string.IsNullOrEmpty(_output))
        {
            Directory.CreateDirectory(_output);
            // dp/p histogram: 60 bins over +-5 sigma (at least +-1%)
            var half = Math.Max(5 * sigma, 0.01);
            var bins = new double[60];
            foreach (var x in _dpp)
            {
                var b = (int)Math.Floor((x + half) / (2 * half) * bins.Length);
                if (b >= 0 && b < bins.Length) bins[b]++;
            }

            var dppPng = Path.Combine(_output, "dpp.png");
            PngPlot.Bars(dppPng, bins, title: "dp/p of matched tracks (tracks per bin)",
                xLow: (-half).ToString("0.####", CultureInfo.InvariantCulture), xHigh: half.ToString("0.####", CultureInfo.InvariantCulture));
            File.WriteAllLines(Path.Combine(_output, "dpp.csv"), ["dp_over_p_low,dp_over_p_high,tracks", .. bins.Select((c, i) => string.Create(CultureInfo.InvariantCulture, $"{-half + (i * 2 * half / bins.Length):0.#####},{-half + ((i + 1) * 2 * half / bins.Length):0.#####},{c}"))]);
            var eff = Enumerable.Range(0, PBins).Select(i => _acceptedByP[i] == 0 ? 0 : _foundByP[i] / (double)_acceptedByP[i]).ToArray();
            var err = Enumerable.Range(0, PBins).Select(i => _acceptedByP[i] == 0 ? 0 : Math.Sqrt(eff[i] * (1 - eff[i]) / _acceptedByP[i])).ToArray();
            var effPng = Path.Combine(_output, "efficiency.png");
            PngPlot.Bars(effPng, eff, err, yMax: 1.05, title: "tracking efficiency vs p (GeV)", xLow: "0", xHigh: (PBins * PBin).ToString(CultureInfo.InvariantCulture));
            File.WriteAllLines(Path.Combine(_output, "efficiency.csv"), ["p_low_gev,p_high_gev,generated,found,efficiency", .. Enumerable.Range(0, PBins).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i * PBin},{(i + 1) * PBin},{_acceptedByP[i]},{_foundByP[i]},{eff[i]:0.####}"))]);
            plots.Add(dppPng);
            plots.Add(effPng);
            _log?.Info(_stage, string.Create(CultureInfo.InvariantCulture, $"validation: {_accepted} tracks in acceptance, efficiency {efficiency:0.0000}, fake rate {fakeRate:0.0000}, sigma(dp/p) {sigma:0.00000}; plots in {_output}"));
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
            plots,
        };
    }

    public void Dispose()
    {
    }
}

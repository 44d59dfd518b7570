using Apache.Arrow;
using Apache.Arrow.Types;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Operators.Clas12.Evio;

namespace Streams.Operators.Clas12.Decoding;

/// <summary>
/// The <c>clas12-decode</c> processor: EVIO 6 events -> an Arrow record batch of hit columns, one row per event (list
/// columns). A malformed event fails alone, with the decoder's message; the others go on.
/// </summary>
public sealed class Clas12Decoder : IProcessor
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "clas12-decode",
        Kind = OperatorKind.Processor,
        Description = "Decodes EVIO CLAS12 events (either byte order; from clas12-sim, evio-file-source or EJFAT) into Arrow hit columns (DC hits, EC strips; truth passed beside).",
        InputTypes = ["evio/*", "binary/ejfat"],
        OutputType = HitColumns.DataType,
        Factory = () => new Clas12Decoder(),
    };

    private readonly EvioEvent _event = new();
    private int[] _kept = new int[256];

    public void Configure(OperatorConfig config)
    {
    }

    public void Reset()
    {
    }

    public EventBatch? Process(EventBatch input, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        var dcSector = new ListColumn<UInt8Array.Builder>(HitColumns.DcSector, UInt8Type.Default);
        var dcLayer = new ListColumn<UInt8Array.Builder>(HitColumns.DcLayer, UInt8Type.Default);
        var dcWire = new ListColumn<UInt8Array.Builder>(HitColumns.DcWire, UInt8Type.Default);
        var dcTdc = new ListColumn<UInt16Array.Builder>(HitColumns.DcTdc, UInt16Type.Default);
        var ecSector = new ListColumn<UInt8Array.Builder>(HitColumns.EcSector, UInt8Type.Default);
        var ecView = new ListColumn<UInt8Array.Builder>(HitColumns.EcView, UInt8Type.Default);
        var ecStrip = new ListColumn<UInt8Array.Builder>(HitColumns.EcStrip, UInt8Type.Default);
        var ecAdc = new ListColumn<Int32Array.Builder>(HitColumns.EcAdc, Int32Type.Default);
        var ecTdc = new ListColumn<Int32Array.Builder>(HitColumns.EcTdc, Int32Type.Default);
        var tCharge = new ListColumn<Int8Array.Builder>(HitColumns.TruthCharge, Int8Type.Default);
        var tP = new ListColumn<FloatArray.Builder>(HitColumns.TruthP, FloatType.Default);
        var tTx = new ListColumn<FloatArray.Builder>(HitColumns.TruthTx, FloatType.Default);
        var tTy = new ListColumn<FloatArray.Builder>(HitColumns.TruthTy, FloatType.Default);
        var tSector = new ListColumn<UInt8Array.Builder>(HitColumns.TruthSector, UInt8Type.Default);
        var tAccepted = new ListColumn<BooleanArray.Builder>(HitColumns.TruthAccepted, BooleanType.Default);

        if (_kept.Length < input.Count) _kept = new int[input.Count];
        var kept = 0;
        for (var i = 0; i < input.Count; i++)
        {
            try
            {
                Evio6.Read(input.GetPayload(i), _event);
            }
            catch (Exception e) when (e is EvioException or Streams.Formats.Evio.EvioFormatException)
            {
                context.Fail(i, $"malformed EVIO: {e.Message}");
                continue;
            }
            catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or OverflowException)
            {
                context.Fail(i, $"malformed EVIO: {e.GetType().Name}: {e.Message}"); // one bad event, not the batch
                continue;
            }

            _kept[kept++] = i;
            dcSector.StartRow(); dcLayer.StartRow(); dcWire.StartRow(); dcTdc.StartRow();
            foreach (var h in _event.DcHits)
            {
                dcSector.Values.Append(h.Sector);
                dcLayer.Values.Append(h.Layer);
                dcWire.Values.Append(h.Wire);
                dcTdc.Values.Append(h.Tdc);
            }

            ecSector.StartRow(); ecView.StartRow(); ecStrip.StartRow(); ecAdc.StartRow(); ecTdc.StartRow();
            foreach (var s in _event.EcStrips)
            {
                ecSector.Values.Append(s.Sector);
                ecView.Values.Append(s.View);
                ecStrip.Values.Append(s.Strip);
                ecAdc.Values.Append(s.Adc);
                ecTdc.Values.Append(s.Tdc);
            }

            tCharge.StartRow(); tP.StartRow(); tTx.StartRow(); tTy.StartRow(); tSector.StartRow(); tAccepted.StartRow();
            foreach (var t in _event.Truth)
            {
                tCharge.Values.Append((sbyte)t.Charge);
                tP.Values.Append((float)t.P);
                tTx.Values.Append((float)t.Tx);
                tTy.Values.Append((float)t.Ty);
                tSector.Values.Append((byte)t.Sector);
                tAccepted.Values.Append(t.InAcceptance);
            }
        }

        if (kept == 0) return null;
        var fields = new List<Field>();
        var arrays = new List<IArrowArray>();
        void Add<T>(ListColumn<T> c)
            where T : IArrowArrayBuilder
        {
            fields.Add(c.Field);
            arrays.Add(c.Build());
        }

        Add(dcSector); Add(dcLayer); Add(dcWire); Add(dcTdc);
        Add(ecSector); Add(ecView); Add(ecStrip); Add(ecAdc); Add(ecTdc);
        Add(tCharge); Add(tP); Add(tTx); Add(tTy); Add(tSector); Add(tAccepted);
        var records = new RecordBatch(new Schema(fields, null), arrays, kept);
        return EventBatch.FromRecords(input, _kept.AsSpan(0, kept), HitColumns.DataType, records);
    }

    public void Dispose()
    {
    }
}

using System.Buffers;
using Apache.Arrow;
using Apache.Arrow.Types;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Formats.Evio;
using Streams.Operators.Clas12.Decoding;

namespace Streams.Operators.Clas12.Coda;

/// <summary>
/// The <c>coda-decode</c> processor: CODA streaming-readout events (built time frames, tag 0xff60, or single ROC time
/// slices) -> one row per time frame with its frame number and timestamp and list columns of its FADC hits (roc, slot,
/// channel, charge, time), as ERSAP's CODA parser reads them. Control events (SYNC, PRESTART, GO, PAUSE, END) carry no
/// hits: they are dropped and counted (run summary section <c>coda-decode</c>); other events fail alone.
/// </summary>
internal sealed class CodaDecoder : IProcessor
{
    /// <summary>The data type of the decoded frames.</summary>
    public const string DataType = "hits/coda";

    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "coda-decode",
        Kind = OperatorKind.Processor,
        Description = "Decodes CODA streaming time frames (0xff60) into hit columns (roc, slot, channel, charge, time; frame, timestamp); skips and counts control events.",
        InputTypes = ["evio/*"],
        OutputType = DataType,
        Shareable = true,
        Factory = () => new CodaDecoder(),
    };

    private readonly long[] _control = new long[Enum.GetValues<CodaEventKind>().Length];
    private long _frames;
    private long _hits;
    private int _summaryAdded;

    public void Configure(OperatorConfig config)
    {
    }

    public void Reset()
    {
        System.Array.Clear(_control);
        Interlocked.Exchange(ref _frames, 0);
        Interlocked.Exchange(ref _hits, 0);
    }

    /// <summary>Counts so far: frames, hits, and control events by kind.</summary>
    public object Summary() => new
    {
        frames = Interlocked.Read(ref _frames),
        hits = Interlocked.Read(ref _hits),
        control = new
        {
            sync = Interlocked.Read(ref _control[(int)CodaEventKind.Sync]),
            prestart = Interlocked.Read(ref _control[(int)CodaEventKind.Prestart]),
            go = Interlocked.Read(ref _control[(int)CodaEventKind.Go]),
            pause = Interlocked.Read(ref _control[(int)CodaEventKind.Pause]),
            end = Interlocked.Read(ref _control[(int)CodaEventKind.End]),
        },
    };

    public EventBatch? Process(EventBatch input, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        if (Interlocked.Exchange(ref _summaryAdded, 1) == 0) context.AddSummarySection("coda-decode", Summary);
        var roc = new ListColumn<UInt16Array.Builder>("coda_roc", UInt16Type.Default);
        var slot = new ListColumn<UInt16Array.Builder>("coda_slot", UInt16Type.Default);
        var channel = new ListColumn<UInt8Array.Builder>("coda_channel", UInt8Type.Default);
        var charge = new ListColumn<UInt16Array.Builder>("coda_charge", UInt16Type.Default);
        var time = new ListColumn<UInt16Array.Builder>("coda_time", UInt16Type.Default);
        var frame = new Int64Array.Builder();
        var timestamp = new UInt64Array.Builder();
        var kept = new List<int>(input.Count);
        var hits = new List<FadcHit>();
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            for (var i = 0; i < input.Count; i++)
            {
                var payload = input.GetPayload(i);
                if (EvioNode.BankByteOrder(payload) is not { } bigEndian)
                {
                    context.Fail(i, $"event of {payload.Length} bytes is not a whole EVIO bank");
                    continue;
                }

                if (buffer.Length < payload.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
                }

                payload.CopyTo(buffer);
                try
                {
                    var root = EvioNode.ParseBank(buffer.AsMemory(0, payload.Length), bigEndian);
                    var kind = CodaStreaming.Classify(root);
                    if (CodaStreaming.IsControl(kind))
                    {
                        Interlocked.Increment(ref _control[(int)kind]);
                        continue;
                    }

                    if (kind is not (CodaEventKind.TimeFrame or CodaEventKind.RocTimeSlice))
                    {
                        context.Fail(i, $"not a CODA streaming event: bank tag 0x{root.Tag:x4}, type {root.DataType}");
                        continue;
                    }

                    var tf = CodaStreaming.DecodeTimeFrame(root);
                    hits.Clear();
                    foreach (var r in tf.Rocs) hits.AddRange(r.Hits);
                    frame.Append(tf.FrameNumber);
                    timestamp.Append(tf.Timestamp);
                }
                catch (EvioFormatException e)
                {
                    context.Fail(i, $"malformed CODA time frame at byte {e.Offset}: {e.Message}");
                    continue;
                }

                kept.Add(i);
                Interlocked.Increment(ref _frames);
                Interlocked.Add(ref _hits, hits.Count);
                roc.StartRow(); slot.StartRow(); channel.StartRow(); charge.StartRow(); time.StartRow();
                foreach (var h in hits)
                {
                    roc.Values.Append((ushort)h.Roc);
                    slot.Values.Append((ushort)h.Slot);
                    channel.Values.Append((byte)h.Channel);
                    charge.Values.Append((ushort)h.Charge);
                    time.Values.Append((ushort)h.Time);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (kept.Count == 0) return null;
        var fields = new List<Field> { new("coda_frame", Int64Type.Default, false), new("coda_timestamp", UInt64Type.Default, false) };
        var arrays = new List<IArrowArray> { frame.Build(), timestamp.Build() };
        foreach (var c in new[] { roc, slot, charge, time })
        {
            fields.Add(c.Field);
            arrays.Add(c.Build());
        }

        fields.Insert(4, channel.Field);
        arrays.Insert(4, channel.Build());
        var records = new RecordBatch(new Schema(fields, null), arrays, kept.Count);
        return EventBatch.FromRecords(input, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(kept), DataType, records);
    }

    public void Dispose()
    {
    }
}

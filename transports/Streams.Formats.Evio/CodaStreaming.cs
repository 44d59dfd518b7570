namespace Streams.Formats.Evio;

/// <summary>What a top-level CODA event is, from its tag.</summary>
public enum CodaEventKind
{
    /// <summary>Not a CODA control or streaming event.</summary>
    Other,
    /// <summary>0xffd0.</summary>
    Sync,
    /// <summary>0xffd1: run start is being prepared (data: time, run number, run type).</summary>
    Prestart,
    /// <summary>0xffd2 (data: time, 0, events so far).</summary>
    Go,
    /// <summary>0xffd3.</summary>
    Pause,
    /// <summary>0xffd4: run ended (data: time, 0, events in run).</summary>
    End,
    /// <summary>0xff60: a built (aggregated) streaming time frame, one ROC bank per ROC.</summary>
    TimeFrame,
    /// <summary>A single ROC time-slice bank (tag = ROC id) whose first child is a stream info bank (0xff30).</summary>
    RocTimeSlice,
}

/// <summary>One FADC hit of a streaming time frame.</summary>
/// <param name="Roc">ROC (crate) id: the tag of the ROC time-frame bank.</param>
/// <param name="Slot">Payload/slot id: the tag of the payload bank.</param>
/// <param name="Channel">Bits 13-16 of the hit word.</param>
/// <param name="Charge">Bits 0-12 of the hit word.</param>
/// <param name="Time">Bits 17-30 of the hit word, in 4 ns units after the frame timestamp.</param>
public readonly record struct FadcHit(int Roc, int Slot, int Channel, int Charge, int Time)
{
    /// <summary>Time after the frame timestamp in nanoseconds.</summary>
    public long TimeNs => 4L * Time;

    /// <summary>Packs a hit word: charge bits 0-12, channel bits 13-16, time bits 17-30.</summary>
    public static uint Encode(int channel, int charge, int time)
    {
        if ((uint)charge > 0x1fff || (uint)channel > 0xf || (uint)time > 0x3fff)
            throw new ArgumentOutOfRangeException(nameof(charge), "charge is 13 bits, channel 4, time 14");
        return (uint)charge | ((uint)channel << 13) | ((uint)time << 17);
    }

    /// <summary>Unpacks a hit word.</summary>
    public static FadcHit Decode(int roc, int slot, uint word) =>
        new(roc, slot, (int)((word >> 13) & 0xf), (int)(word & 0x1fff), (int)((word >> 17) & 0x3fff));
}

/// <summary>One ROC's part of a time frame.</summary>
public sealed record RocTimeFrame(int RocId, byte StreamStatus, long FrameNumber, ulong Timestamp, IReadOnlyList<FadcHit> Hits);

/// <summary>A decoded streaming time frame.</summary>
public sealed record CodaTimeFrame(long FrameNumber, ulong Timestamp, IReadOnlyList<RocTimeFrame> Rocs)
{
    /// <summary>All hits of all ROCs.</summary>
    public IEnumerable<FadcHit> Hits => Rocs.SelectMany(r => r.Hits);
}

/// <summary>A CODA control event (PRESTART, GO, END, SYNC, PAUSE) and its data words.</summary>
public sealed record CodaControlEvent(CodaEventKind Kind, IReadOnlyList<uint> Words)
{
    /// <summary>Word 0: Unix time of the transition.</summary>
    public uint Time => Words.Count > 0 ? Words[0] : 0;

    /// <summary>PRESTART word 1: the run number.</summary>
    public uint RunNumber => Kind == CodaEventKind.Prestart && Words.Count > 1 ? Words[1] : 0;

    /// <summary>PRESTART word 2: the run type; GO/END word 2: events so far.</summary>
    public uint Word2 => Words.Count > 2 ? Words[2] : 0;
}

/// <summary>
/// Decodes CODA streaming-readout events (EVIO 6) as ERSAP's CODA parser reads them: control
/// events by tag; built time frames (tag 0xff60) whose child 0 is a stream info bank holding the
/// time slice segment (tag 0x31, uint32 [frame, timestamp low, timestamp high]) and whose children
/// 1..N are ROC time-frame banks (tag = ROC id, num = stream status), each a stream info bank
/// (0xff30) followed by payload banks (tag = slot) of FADC hit words.
/// </summary>
public static class CodaStreaming
{
    public const int TimeFrameTag = 0xff60;
    public const int RocStreamInfoTag = 0xff30;
    public const int AggregatorStreamInfoTag = 0xff31;
    public const int TimeSliceSegmentTag = 0x31;
    public const int AggregationInfoSegmentTag = 0x41;

    /// <summary>Classifies a top-level event by its tag (and, for a ROC bank, its first child).</summary>
    public static CodaEventKind Classify(EvioNode root) => root.Tag switch
    {
        0xffd0 => CodaEventKind.Sync,
        0xffd1 => CodaEventKind.Prestart,
        0xffd2 => CodaEventKind.Go,
        0xffd3 => CodaEventKind.Pause,
        0xffd4 => CodaEventKind.End,
        TimeFrameTag when root.IsContainer => CodaEventKind.TimeFrame,
        _ when IsRocTimeSlice(root) => CodaEventKind.RocTimeSlice,
        _ => CodaEventKind.Other,
    };

    /// <summary>True for control events (they carry no hits and are skipped by hit decoding).</summary>
    public static bool IsControl(CodaEventKind kind) => kind is CodaEventKind.Sync or CodaEventKind.Prestart
        or CodaEventKind.Go or CodaEventKind.Pause or CodaEventKind.End;

    /// <summary>The control event's kind and data words.</summary>
    public static CodaControlEvent DecodeControl(EvioNode root)
    {
        var kind = Classify(root);
        if (!IsControl(kind)) throw new InvalidOperationException($"tag 0x{root.Tag:x4} is not a control event");
        if (root.DataType is not (EvioDataType.UInt32 or EvioDataType.Unknown32 or EvioDataType.Int32))
            throw root.Error($"control event has data type {root.DataType}, expected UINT32");
        return new CodaControlEvent(kind, root.GetValues<uint>().ToArray());
    }

    /// <summary>Decodes a built time frame (0xff60) or a single ROC time slice bank.</summary>
    public static CodaTimeFrame DecodeTimeFrame(EvioNode root)
    {
        var kind = Classify(root);
        if (kind == CodaEventKind.RocTimeSlice)
        {
            var roc = DecodeRoc(root);
            return new CodaTimeFrame(roc.FrameNumber, roc.Timestamp, [roc]);
        }
        if (kind != CodaEventKind.TimeFrame) throw new InvalidOperationException($"tag 0x{root.Tag:x4} is not a time frame");
        if (root.DataType.ChildKind() != EvioStructureKind.Bank) throw root.Error("time frame bank must hold banks");
        long frame = -1;
        ulong ts = 0;
        var rocs = new List<RocTimeFrame>();
        bool first = true;
        foreach (var child in root.Children)
        {
            if (first)
            {
                // Child 0: the aggregator's stream info bank with the time slice segment.
                (frame, ts) = ReadTimeSlice(child);
                first = false;
                continue;
            }
            rocs.Add(DecodeRoc(child));
        }
        if (first) throw root.Error("time frame has no stream info bank");
        return new CodaTimeFrame(frame, ts, rocs);
    }

    /// <summary>Appends the hits of a time frame (or ROC slice) to <paramref name="hits"/>; control and other events add none.</summary>
    public static int DecodeHits(EvioNode root, List<FadcHit> hits)
    {
        ArgumentNullException.ThrowIfNull(hits);
        int before = hits.Count;
        var kind = Classify(root);
        if (kind == CodaEventKind.RocTimeSlice) AddRocHits(root, hits);
        else if (kind == CodaEventKind.TimeFrame)
        {
            bool first = true;
            foreach (var child in root.Children)
            {
                if (!first) AddRocHits(child, hits);
                first = false;
            }
        }
        return hits.Count - before;
    }

    private static bool IsRocTimeSlice(EvioNode root)
    {
        if (root.Kind != EvioStructureKind.Bank || root.DataType is not (EvioDataType.Bank or EvioDataType.AlsoBank)) return false;
        foreach (var c in root.Children) return c.Tag == RocStreamInfoTag;
        return false;
    }

    private static RocTimeFrame DecodeRoc(EvioNode roc)
    {
        var hits = new List<FadcHit>();
        var (frame, ts) = AddRocHits(roc, hits);
        return new RocTimeFrame(roc.Tag, roc.Num, frame, ts, hits);
    }

    private static (long Frame, ulong Timestamp) AddRocHits(EvioNode roc, List<FadcHit> hits)
    {
        if (roc.Kind != EvioStructureKind.Bank || roc.DataType is not (EvioDataType.Bank or EvioDataType.AlsoBank))
            throw roc.Error($"ROC time-frame bank 0x{roc.Tag:x4} must be a bank of banks, not {roc.DataType}");
        bool first = true;
        (long, ulong) slice = (-1, 0);
        foreach (var payload in roc.Children)
        {
            if (first)
            {
                if (payload.Tag != RocStreamInfoTag) throw payload.Error($"ROC bank's first child has tag 0x{payload.Tag:x4}, expected stream info bank 0xff30");
                slice = ReadTimeSlice(payload);
                first = false;
                continue;
            }
            if (payload.DataType is not (EvioDataType.UInt32 or EvioDataType.Unknown32))
                throw payload.Error($"payload bank 0x{payload.Tag:x4} has type {payload.DataType}, expected UINT32 hit words");
            foreach (uint word in payload.GetValues<uint>()) hits.Add(FadcHit.Decode(roc.Tag, payload.Tag, word));
        }
        if (first) throw roc.Error("ROC time-frame bank has no stream info bank");
        return slice;
    }

    /// <summary>
    /// A stream info bank (segments) holding the time slice segment 0x31: [frame, ts low, ts high].
    /// A bank with those three words as direct UINT32 data is accepted too.
    /// </summary>
    private static (long Frame, ulong Timestamp) ReadTimeSlice(EvioNode sib)
    {
        if (sib.DataType is EvioDataType.UInt32 or EvioDataType.Unknown32) return Slice(sib);
        if (!sib.IsContainer) throw sib.Error($"stream info bank has type {sib.DataType}");
        foreach (var seg in sib.Children)
            if (seg.Tag == TimeSliceSegmentTag) return Slice(seg);
        throw sib.Error("stream info bank has no time slice segment (tag 0x31)");
    }

    private static (long, ulong) Slice(EvioNode n)
    {
        if (n.DataType is not (EvioDataType.UInt32 or EvioDataType.Unknown32)) throw n.Error($"time slice segment has type {n.DataType}, expected UINT32");
        var v = n.GetValues<uint>();
        if (v.Length < 3) throw n.Error($"time slice segment has {v.Length} words, expected 3 (frame, timestamp low, high)");
        return (v[0], v[1] | ((ulong)v[2] << 32));
    }
}

namespace Streams.Formats.Evio;

/// <summary>Builds CODA streaming events (time frames and control events) for tests and simulations.</summary>
public static class CodaStreamBuilder
{
    /// <summary>One payload (slot) of a ROC: its hit words are made from (channel, charge, time).</summary>
    public sealed record Payload(int Slot, IReadOnlyList<(int Channel, int Charge, int Time)> Hits);

    /// <summary>One ROC's contribution to a frame.</summary>
    public sealed record Roc(int RocId, IReadOnlyList<Payload> Payloads, byte StreamStatus = 0x11);

    /// <summary>A built time frame (tag 0xff60, num = ROC count).</summary>
    public static byte[] TimeFrame(uint frame, ulong timestamp, IReadOnlyList<Roc> rocs, bool bigEndian = false)
    {
        ArgumentNullException.ThrowIfNull(rocs);
        var b = new EvioBuilder(bigEndian);
        b.OpenBank(CodaStreaming.TimeFrameTag, EvioDataType.Bank, (byte)rocs.Count);
        StreamInfo(b, CodaStreaming.AggregatorStreamInfoTag, (byte)rocs.Count, frame, timestamp, rocs.Count);
        foreach (var roc in rocs) RocBank(b, roc, frame, timestamp);
        return b.Close().ToArray();
    }

    /// <summary>A single ROC time-slice bank (as a ROC sends it).</summary>
    public static byte[] RocTimeSlice(uint frame, ulong timestamp, Roc roc, bool bigEndian = false)
    {
        ArgumentNullException.ThrowIfNull(roc);
        var b = new EvioBuilder(bigEndian);
        RocBank(b, roc, frame, timestamp);
        return b.ToArray();
    }

    /// <summary>A control event: PRESTART (time, run, run type), GO/END (time, 0, events).</summary>
    public static byte[] Control(CodaEventKind kind, uint time, uint word1, uint word2, bool bigEndian = false)
    {
        int tag = kind switch
        {
            CodaEventKind.Sync => 0xffd0, CodaEventKind.Prestart => 0xffd1, CodaEventKind.Go => 0xffd2,
            CodaEventKind.Pause => 0xffd3, CodaEventKind.End => 0xffd4,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return new EvioBuilder(bigEndian).OpenBank(tag, EvioDataType.UInt32, 0xcc).Add([time, word1, word2]).Close().ToArray();
    }

    private static void RocBank(EvioBuilder b, Roc roc, uint frame, ulong timestamp)
    {
        b.OpenBank(roc.RocId, EvioDataType.Bank, roc.StreamStatus);
        StreamInfo(b, CodaStreaming.RocStreamInfoTag, roc.StreamStatus, frame, timestamp, roc.Payloads.Count);
        foreach (var p in roc.Payloads)
        {
            var words = p.Hits.Select(h => FadcHit.Encode(h.Channel, h.Charge, h.Time)).ToArray();
            b.OpenBank(p.Slot, EvioDataType.UInt32, 0).Add(words).Close();
        }
        b.Close();
    }

    /// <summary>Stream info bank: time slice segment (0x31) and aggregation info segment (0x41).</summary>
    private static void StreamInfo(EvioBuilder b, int tag, byte status, uint frame, ulong timestamp, int entries)
    {
        b.OpenBank(tag, EvioDataType.Segment, status);
        b.OpenSegment(CodaStreaming.TimeSliceSegmentTag, EvioDataType.UInt32).Add([frame, (uint)timestamp, (uint)(timestamp >> 32)]).Close();
        var info = new ushort[entries];
        for (int i = 0; i < entries; i++) info[i] = (ushort)(i + 1);
        b.OpenSegment(CodaStreaming.AggregationInfoSegmentTag, EvioDataType.UShort16).Add(info).Close();
        b.Close();
    }
}

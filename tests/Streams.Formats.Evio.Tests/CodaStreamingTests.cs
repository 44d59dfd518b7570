using System.Buffers.Binary;

namespace Streams.Formats.Evio.Tests;

/// <summary>CODA streaming time frames written with our writer and decoded into hits.</summary>
public class CodaStreamingTests
{
    private static CodaStreamBuilder.Roc Roc(int id, int frame) => new(id,
    [
        new(3, [(0, 100 + frame, 5), (15, 8191, 16383)]),
        new(4, [(7, id * 10 + frame, 1000)]),
    ]);

    private static byte[] File(bool bigEndian, EvioCompression compression = EvioCompression.None)
    {
        var ms = new MemoryStream();
        using (var w = new EvioWriter(ms, new EvioWriterOptions { BigEndian = bigEndian, Compression = compression, EventType = 9, LeaveOpen = true }))
        {
            w.WriteEvent(CodaStreamBuilder.Control(CodaEventKind.Prestart, 1700000000, 4242, 7, bigEndian));
            w.WriteEvent(CodaStreamBuilder.Control(CodaEventKind.Go, 1700000001, 0, 0, bigEndian));
            for (uint f = 1; f <= 3; f++)
                w.WriteEvent(CodaStreamBuilder.TimeFrame(f, 0x1_0000_0000UL * f + 65536 * f, [Roc(1, (int)f), Roc(2, (int)f)], bigEndian));
            w.WriteEvent(CodaStreamBuilder.RocTimeSlice(4, 123456789012, Roc(5, 4), bigEndian));
            w.WriteEvent(CodaStreamBuilder.Control(CodaEventKind.End, 1700000009, 0, 4, bigEndian));
        }
        return ms.ToArray();
    }

    [Theory]
    [InlineData(false, EvioCompression.None)]
    [InlineData(true, EvioCompression.None)]
    [InlineData(false, EvioCompression.Lz4)]
    public void Time_frames_decode_into_hits_and_control_events_are_recognised(bool bigEndian, EvioCompression compression)
    {
        var r = new EvioReader(File(bigEndian, compression));
        var kinds = new List<CodaEventKind>();
        var frames = new List<CodaTimeFrame>();
        var controls = new List<CodaControlEvent>();
        foreach (var ev in r.Events)
        {
            var kind = CodaStreaming.Classify(ev.Root);
            kinds.Add(kind);
            if (CodaStreaming.IsControl(kind)) controls.Add(CodaStreaming.DecodeControl(ev.Root));
            else frames.Add(CodaStreaming.DecodeTimeFrame(ev.Root));
        }
        Assert.Equal([CodaEventKind.Prestart, CodaEventKind.Go, CodaEventKind.TimeFrame, CodaEventKind.TimeFrame,
            CodaEventKind.TimeFrame, CodaEventKind.RocTimeSlice, CodaEventKind.End], kinds);
        Assert.Equal(4242u, controls[0].RunNumber);
        Assert.Equal(7u, controls[0].Word2);
        Assert.Equal(1700000001u, controls[1].Time);
        Assert.Equal(4u, controls[2].Word2);
        for (int f = 1; f <= 3; f++)
        {
            var tf = frames[f - 1];
            Assert.Equal(f, tf.FrameNumber);
            Assert.Equal(0x1_0000_0000UL * (ulong)f + 65536UL * (ulong)f, tf.Timestamp);
            Assert.Equal([1, 2], tf.Rocs.Select(x => x.RocId));
            Assert.All(tf.Rocs, x => Assert.Equal(tf.Timestamp, x.Timestamp));
            Assert.Equal(
            [
                new FadcHit(1, 3, 0, 100 + f, 5), new FadcHit(1, 3, 15, 8191, 16383), new FadcHit(1, 4, 7, 10 + f, 1000),
                new FadcHit(2, 3, 0, 100 + f, 5), new FadcHit(2, 3, 15, 8191, 16383), new FadcHit(2, 4, 7, 20 + f, 1000),
            ], tf.Hits);
        }
        var slice = frames[3];
        Assert.Equal(4, slice.FrameNumber);
        Assert.Equal(123456789012UL, slice.Timestamp);
        Assert.Equal(5, slice.Rocs.Single().RocId);
        Assert.Equal(0x11, slice.Rocs[0].StreamStatus);
        Assert.Equal(65532L, new FadcHit(1, 3, 15, 8191, 16383).TimeNs);
        Assert.All(r.ReadRecordHeaders().Where(h => !h.IsTrailer), h => Assert.Equal(9, h.EventType));
    }

    [Fact]
    public void Hits_can_be_collected_into_one_reused_list()
    {
        var r = new EvioReader(File(false));
        var hits = new List<FadcHit>();
        int n = 0;
        foreach (var ev in r.Events) n += CodaStreaming.DecodeHits(ev.Root, hits);
        Assert.Equal(3 * 6 + 3, n);
        Assert.Equal(n, hits.Count);
    }

    [Fact]
    public void Hit_word_bit_layout()
    {
        uint w = FadcHit.Encode(channel: 0xa, charge: 0x1234, time: 0x2abc);
        Assert.Equal(0x1234u | (0xau << 13) | (0x2abcu << 17), w);
        Assert.Equal(new FadcHit(9, 8, 0xa, 0x1234, 0x2abc), FadcHit.Decode(9, 8, w));
        Assert.Throws<ArgumentOutOfRangeException>(() => FadcHit.Encode(16, 0, 0));
    }

    [Fact]
    public void Damaged_time_frames_throw_only_format_exceptions()
    {
        var original = File(false);
        var copy = new byte[original.Length];
        for (int at = 0; at + 4 <= original.Length; at += 4)
        {
            foreach (uint lie in new uint[] { 0, 0xffffffff, 0x0000ffff, 0x00ff0000 })
            {
                original.CopyTo(copy, 0);
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(at)) ^ lie);
                try
                {
                    foreach (var ev in new EvioReader(copy).Events)
                    {
                        var kind = CodaStreaming.Classify(ev.Root);
                        if (CodaStreaming.IsControl(kind)) _ = CodaStreaming.DecodeControl(ev.Root);
                        else if (kind != CodaEventKind.Other) _ = CodaStreaming.DecodeTimeFrame(ev.Root);
                    }
                }
                catch (EvioFormatException e)
                {
                    Assert.InRange(e.Offset, 0, copy.Length);
                }
            }
        }
    }
}

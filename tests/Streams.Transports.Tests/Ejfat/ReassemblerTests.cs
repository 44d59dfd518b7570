using System.Diagnostics;
using System.Security.Cryptography;
using Streams.Transports.Ejfat.Receiving;
using Streams.Transports.Ejfat.Sending;

namespace Streams.Transports.Tests.Ejfat;

public class ReassemblerTests
{
    private sealed class Collect : ICompletedEventSink
    {
        public Dictionary<(ulong, ushort), byte[]> Events { get; } = [];

        public bool OnEvent(byte[] buffer, int length, ulong eventNumber, ushort dataId, ulong tick)
        {
            Assert.True(Events.TryAdd((eventNumber, dataId), buffer[..length]), $"event {eventNumber}/{dataId} delivered twice");
            return false;
        }
    }

    private static List<byte[]> Datagrams(byte[] ev, ulong number, ushort dataId, FrameOptions frame)
    {
        var list = new List<byte[]>();
        var buf = new byte[9100];
        for (var i = 0; i < Segmenter.SegmentCount(ev.Length, frame.MaxPayload); i++)
        {
            var n = Segmenter.Write(buf, ev, i, frame, number, dataId, number * 10, (ushort)number);
            list.Add(buf[..n]);
        }

        return list;
    }

    private static byte[] RandomEvent(Random r, int max)
    {
        var e = new byte[r.Next(0, max)];
        r.NextBytes(e);
        return e;
    }

    [Theory]
    [InlineData(1, 1436, 0)]
    [InlineData(2, 8936, 2)]
    [InlineData(3, 500, 3)]
    public void Any_arrival_order_with_duplicates_loss_and_corruption_delivers_every_complete_event_byte_exact(int seed, int payload, byte lbVersion)
    {
        var r = new Random(seed);
        var frame = new FrameOptions { MaxPayload = payload, LbVersion = lbVersion, ReVersion = (byte)(1 + (seed % 2)) };
        var sink = new Collect();
        var re = new Reassembler(sink, LbHeaderMode.Auto, timeout: TimeSpan.FromMilliseconds(100));
        var sent = new Dictionary<(ulong, ushort), byte[]>();
        var all = new List<byte[]>();
        var incomplete = new HashSet<(ulong, ushort)>();
        long duplicates = 0, corrupt = 0;
        for (ulong n = 0; n < 300; n++)
        {
            var dataId = (ushort)r.Next(0, 3);
            var ev = RandomEvent(r, 40_000);
            sent[(n, dataId)] = ev;
            var dgs = Datagrams(ev, n, dataId, frame);
            for (var i = 0; i < dgs.Count; i++)
            {
                var roll = r.NextDouble();
                if (roll < 0.01 && dgs.Count > 1)
                {
                    incomplete.Add((n, dataId)); // lost on the way
                    continue;
                }

                all.Add(dgs[i]);
                if (roll > 0.97)
                {
                    all.Add(dgs[i]); // exact duplicate
                    duplicates++;
                }
            }
        }

        // corruption that a receiver must survive: random bytes, truncated headers, segments beyond the event
        for (var i = 0; i < 200; i++)
        {
            var junk = new byte[r.Next(0, 64)];
            r.NextBytes(junk);
            if (junk.Length > 0) junk[0] = 0x30; // not LB magic, RE version 3: bad header
            all.Add(junk);
            corrupt++;
        }

        r.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(all));
        var now = Stopwatch.GetTimestamp();
        foreach (var d in all) re.Place(d, now);

        var complete = sent.Keys.Where(k => !incomplete.Contains(k)).ToList();
        Assert.Equal(complete.Count, sink.Events.Count);
        foreach (var k in complete) Assert.Equal(SHA256.HashData(sent[k]), SHA256.HashData(sink.Events[k]));
        Assert.Equal(incomplete.Count, re.Stats.PendingEvents);
        Assert.Equal(incomplete.Count, re.EvictExpired(now + Stopwatch.Frequency));
        Assert.Equal(incomplete.Count, re.Stats.EventsLostTimeout);
        Assert.Equal(complete.Count, re.Stats.EventsCompleted);
        Assert.Equal(duplicates, re.Stats.PacketsDuplicate);
        Assert.Equal(corrupt, re.Stats.PacketsBadHeader);
        Assert.Equal(0, re.Stats.PendingBytes);
    }

    [Fact]
    public void A_late_offset_zero_segment_completes_the_event()
    {
        var sink = new Collect();
        var re = new Reassembler(sink);
        var ev = RandomEvent(new Random(5), 20_000);
        var dgs = Datagrams(ev, 1, 0, new FrameOptions { MaxPayload = 1000 });
        dgs.Reverse();
        foreach (var d in dgs) re.Place(d, 0);
        Assert.Equal(ev, sink.Events[(1, 0)]);
    }

    [Fact]
    public void Segments_beyond_the_event_or_with_another_length_are_dropped_and_counted()
    {
        var sink = new Collect();
        var re = new Reassembler(sink);
        var ev = new byte[3000];
        var frame = new FrameOptions { MaxPayload = 1000, LbVersion = 0 };
        var dgs = Datagrams(ev, 9, 0, frame);
        re.Place(dgs[0], 0);

        var beyond = (byte[])dgs[2].Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(beyond.AsSpan(4), 2500); // 2500 + 1000 > 3000
        re.Place(beyond, 0);
        var otherLength = (byte[])dgs[1].Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(otherLength.AsSpan(8), 4000);
        re.Place(otherLength, 0);
        var overlapping = (byte[])dgs[1].Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(overlapping.AsSpan(4), 500); // overlaps segment 0
        re.Place(overlapping, 0);
        Assert.Equal(3, re.Stats.PacketsBadSegment);

        re.Place(dgs[1], 0);
        re.Place(dgs[2], 0);
        Assert.Equal(ev, sink.Events[(9, 0)]);
    }

    [Fact]
    public void A_duplicate_after_completion_is_counted_not_restarted()
    {
        var sink = new Collect();
        var re = new Reassembler(sink);
        var dgs = Datagrams(new byte[2500], 3, 1, new FrameOptions { MaxPayload = 1000 });
        foreach (var d in dgs) re.Place(d, 0);
        re.Place(dgs[1], 0);
        Assert.Equal(1, re.Stats.PacketsDuplicate);
        Assert.Equal(0, re.Stats.PendingEvents);
    }

    [Fact]
    public void A_segment_again_with_other_bytes_is_a_conflict_and_the_same_bytes_a_duplicate()
    {
        var sink = new Collect();
        var re = new Reassembler(sink);
        var ev = RandomEvent(new Random(7), 3000);
        while (ev.Length < 2001) ev = RandomEvent(new Random(ev.Length), 3000);
        var dgs = Datagrams(ev, 4, 2, new FrameOptions { MaxPayload = 1000, LbVersion = 0 });
        re.Place(dgs[0], 0);
        re.Place(dgs[1], 0);
        re.Place(dgs[1], 0); // exact duplicate
        var forged = (byte[])dgs[1].Clone();
        forged[^1] ^= 0xFF; // same event, same offset, other bytes
        re.Place(forged, 0);
        var forgedFirst = (byte[])dgs[0].Clone();
        forgedFirst[^3] ^= 0x01;
        re.Place(forgedFirst, 0);
        Assert.Equal(1, re.Stats.PacketsDuplicate);
        Assert.Equal(2, re.Stats.PacketsConflict);
        Assert.Equal(0, re.Stats.PacketsBadSegment);
        foreach (var d in dgs.Skip(2)) re.Place(d, 0);
        Assert.Equal(ev, sink.Events[(4, 2)]); // the first bytes stay

        var totals = new ReceiverStats();
        totals.Add(re.Stats);
        Assert.Contains("\"conflict\":2", System.Text.Json.JsonSerializer.Serialize(totals.ToSummary()), StringComparison.Ordinal);
    }

    [Fact]
    public void Telling_a_duplicate_from_a_conflict_allocates_nothing()
    {
        var re = new Reassembler(new Collect());
        var dgs = Datagrams(new byte[5000], 8, 0, new FrameOptions { MaxPayload = 1000, LbVersion = 0 });
        var forged = (byte[])dgs[1].Clone();
        forged[^1] ^= 0xFF;
        re.Place(dgs[0], 0);
        re.Place(dgs[1], 0);
        re.Place(dgs[1], 0);
        re.Place(forged, 0); // warm
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            re.Place(dgs[1], 0);
            re.Place(forged, 0);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1001, re.Stats.PacketsDuplicate);
        Assert.Equal(1001, re.Stats.PacketsConflict);
    }

    [Fact]
    public void The_memory_cap_evicts_the_oldest_incomplete_events()
    {
        var sink = new Collect();
        var re = new Reassembler(sink, memoryCapBytes: 3 * 70_000);
        for (ulong n = 0; n < 10; n++)
        {
            re.Place(Datagrams(new byte[65_536], n, 0, new FrameOptions { MaxPayload = 8936 })[0], (long)n);
            Assert.True(re.Stats.PendingBytes <= 3 * 70_000, $"pending {re.Stats.PendingBytes}");
        }

        Assert.Equal(7, re.Stats.EventsLostMemory);
        Assert.Equal(3, re.Stats.PendingEvents);
        Assert.Equal(3, re.DropAll());
        Assert.Equal(3, re.Stats.EventsLostStopped);
    }

    [Fact]
    public void Lb_header_mode_yes_rejects_datagrams_without_one_and_no_treats_lb_as_garbage()
    {
        var with = Datagrams(new byte[100], 1, 0, new FrameOptions { LbVersion = 2 })[0];
        var without = Datagrams(new byte[100], 2, 0, new FrameOptions { LbVersion = 0 })[0];
        var yes = new Reassembler(new Collect(), LbHeaderMode.Yes);
        yes.Place(without, 0);
        yes.Place(with, 0);
        Assert.Equal(1, yes.Stats.PacketsBadHeader);
        Assert.Equal(1, yes.Stats.EventsCompleted);
        var no = new Reassembler(new Collect(), LbHeaderMode.No);
        no.Place(with, 0);
        no.Place(without, 0);
        Assert.Equal(1, no.Stats.PacketsBadHeader);
        Assert.Equal(1, no.Stats.EventsCompleted);
    }

    [Fact]
    public void Feedback_pid_clamps_and_does_not_wind_up()
    {
        var pid = new QueueFeedback(setpoint: 0.5, kp: 1, ki: 10, kd: 0, limit: 1);
        for (var i = 0; i < 50; i++) pid.Update(0.0, 0.1); // empty queue: wants more, saturates at +1
        Assert.Equal(1.0, pid.Signal);
        var integralAtSaturation = pid.Integral;
        Assert.True(integralAtSaturation < 0.2, $"integral wound up to {integralAtSaturation}");
        pid.Update(1.0, 0.1); // full queue: the signal must turn negative at once, not after unwinding
        Assert.True(pid.Signal < 0, $"signal {pid.Signal}");

        var p = new QueueFeedback(setpoint: 0.5, kp: 2, ki: 0, kd: 0);
        Assert.Equal(0.6, p.Update(0.2, 0.1), 9);
        var d = new QueueFeedback(setpoint: 0.5, kp: 0, ki: 0, kd: 1, limit: 100);
        d.Update(0.5, 0.1);
        Assert.Equal(-2.0, d.Update(0.7, 0.1), 9); // de/dt over the true interval: -0.2 / 0.1
        Assert.Equal(-1.0, d.Update(0.9, 0.2), 9);
    }
}

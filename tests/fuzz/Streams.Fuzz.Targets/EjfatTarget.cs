using System.Reflection;
using Streams.Transports.Ejfat.Receiving;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Fuzz.Targets;

/// <summary>
/// EJFAT: the input is a sequence of datagrams (see <see cref="FuzzSupport.Split"/>); byte 0 picks the LB-header mode
/// and how often the clock jumps past the timeout. Each datagram goes through the LB/RE header parse and
/// <see cref="Reassembler.Place"/>. Checked: no exception; a parsed header writes back to the same bytes; every
/// datagram is placed or dropped for exactly one counted reason; the bytes held by incomplete events stay under the
/// memory cap; the books of events balance after the final drop.
/// </summary>
public static class EjfatTarget
{
    /// <summary>Small limits, so that the fuzzer reaches the caps: max-event 1 MiB, memory cap 256 KiB (below max-event, as with many receive threads).</summary>
    public const long MaxEventBytes = 1 << 20;
    public const long MemoryCap = 256 << 10;

    // Every "datagram dropped" counter, found by name so that a new reason (e.g. a conflict counter) is counted too.
    private static readonly FieldInfo[] DropCounters = typeof(ReceiverStats).GetFields()
        .Where(f => f.FieldType == typeof(long) && f.Name.StartsWith("Packets", StringComparison.Ordinal) && f.Name != nameof(ReceiverStats.Packets))
        .ToArray();

    private sealed class Sink : ICompletedEventSink
    {
        public long Events;
        public long Bytes;

        public bool OnEvent(byte[] buffer, int length, ulong eventNumber, ushort dataId, ulong tick)
        {
            FuzzSupport.Check(length >= 0 && length <= buffer.Length, $"completed event of {length} bytes in a {buffer.Length}-byte buffer");
            Events++;
            Bytes += length;
            return false;
        }
    }

    public static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        var control = data[0];
        var datagrams = FuzzSupport.Split(data[1..], 512);
        FuzzSupport.WithAllocationLimit((4 * MaxEventBytes) + (64L * data.Length) + (8 << 20), () => Place(control, datagrams));
    }

    private static void Place(byte control, List<byte[]> datagrams)
    {
        var mode = (LbHeaderMode)(control % 3);
        var sink = new Sink();
        var timeout = TimeSpan.FromMilliseconds(500);
        var r = new Reassembler(sink, mode, MaxEventBytes, MemoryCap, timeout);
        var s = r.Stats;
        long now = 1;
        var jumpEvery = 1 + ((control >> 2) & 0x3F);
        var placedPayload = 0L;
        for (var i = 0; i < datagrams.Count; i++)
        {
            var d = datagrams[i];
            CheckHeaders(d);
            var drops = Drops(s);
            var (bytes, completed) = (s.Bytes, s.EventsCompleted);
            r.Place(d, now);
            var dropped = Drops(s) - drops;
            var placed = (s.Bytes > bytes ? 1 : 0) + (s.Bytes == bytes && s.EventsCompleted > completed ? 1 : 0);
            FuzzSupport.Check(dropped + placed == 1, $"datagram {i} ({d.Length} bytes): {dropped} drop reason(s) counted and placed {placed} times; exactly one expected");
            placedPayload += s.Bytes - bytes;
            FuzzSupport.Check(s.PendingEvents >= 0 && s.PendingBytes >= 0, $"negative pending counters after datagram {i}: {s.PendingEvents} events, {s.PendingBytes} bytes");
            FuzzSupport.Check(s.PendingBytes <= MemoryCap, $"{s.PendingBytes:N0} bytes held by {s.PendingEvents} incomplete event(s) after datagram {i}: over the {MemoryCap:N0}-byte memory cap");
            if (i % jumpEvery == jumpEvery - 1)
            {
                now += (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency) + 1;
                r.EvictExpired(now);
            }
        }

        r.DropAll();
        FuzzSupport.Check(s.Packets == datagrams.Count, $"{s.Packets} packets counted for {datagrams.Count} datagrams");
        FuzzSupport.Check(s.Bytes == placedPayload, "payload bytes counted twice");
        FuzzSupport.Check(s.PendingEvents == 0 && s.PendingBytes == 0, $"after DropAll: {s.PendingEvents} events, {s.PendingBytes} bytes still pending");
        FuzzSupport.Check(sink.Events == s.EventsCompleted, $"{sink.Events} events delivered, {s.EventsCompleted} counted complete");
    }

    private static long Drops(ReceiverStats s)
    {
        long n = 0;
        foreach (var f in DropCounters) n += (long)f.GetValue(s)!;
        return n;
    }

    /// <summary>A header that parses writes back to the bytes it came from (the fields it keeps).</summary>
    private static void CheckHeaders(byte[] d)
    {
        Span<byte> back = stackalloc byte[LbHeader.Size + ReHeader.Size];
        if (LbHeader.TryRead(d, out var lb))
        {
            lb.Write(back);
            FuzzSupport.Check(back[..4].SequenceEqual(d.AsSpan(0, 4)) && back[6..16].SequenceEqual(d.AsSpan(6, 10)), "LB header does not write back to its bytes");
        }

        if (ReHeader.TryRead(d, out var re))
        {
            re.Write(back);
            FuzzSupport.Check(back[0] == (d[0] & 0xF0) && back[2..20].SequenceEqual(d.AsSpan(2, 18)), "RE header does not write back to its bytes");
        }

        if (SyncHeader.TryRead(d, out var sync))
        {
            sync.Write(back);
            FuzzSupport.Check(back[..3].SequenceEqual(d.AsSpan(0, 3)) && back[4..28].SequenceEqual(d.AsSpan(4, 24)), "Sync header does not write back to its bytes");
        }
    }
}

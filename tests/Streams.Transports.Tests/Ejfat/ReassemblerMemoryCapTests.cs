using Streams.Fuzz.Targets;
using Streams.Transports.Ejfat.Receiving;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Transports.Tests.Ejfat;

/// <summary>Fuzz finding (ejfat target): one datagram claiming an event larger than the memory cap was held anyway.</summary>
public class ReassemblerMemoryCapTests
{
    private sealed class Ignore : ICompletedEventSink
    {
        public bool OnEvent(byte[] buffer, int length, ulong eventNumber, ushort dataId, ulong tick) => false;
    }

    private static byte[] Segment(uint offset, uint eventLength, ulong eventNumber, int payload)
    {
        var d = new byte[ReHeader.Size + payload];
        new ReHeader(1, 0, offset, eventLength, eventNumber).Write(d);
        return d;
    }

    [Fact]
    public void An_event_larger_than_the_memory_cap_is_dropped_not_held()
    {
        var re = new Reassembler(new Ignore(), LbHeaderMode.No, maxEventBytes: 1 << 20, memoryCapBytes: 256 << 10);
        re.Place(Segment(0, 1 << 20, 1, 100), 1); // a 36-byte header asking for 1 MiB, four times the cap
        Assert.Equal(0, re.Stats.PendingBytes);
        Assert.Equal(1, re.Stats.PacketsBadSegment);
    }

    [Fact]
    public void The_cap_counts_the_rented_buffers_not_the_declared_lengths()
    {
        var re = new Reassembler(new Ignore(), LbHeaderMode.No, maxEventBytes: 1 << 20, memoryCapBytes: 300 << 10);
        re.Place(Segment(0, 33 << 10, 1, 10), 1);   // rents 64 KiB
        re.Place(Segment(0, 190 << 10, 2, 10), 2);  // 33 + 190 KiB declared fit the cap, but it rents 256 KiB: 320 KiB held
        Assert.True(re.Stats.PendingBytes <= 300 << 10, $"{re.Stats.PendingBytes} bytes held over a {300 << 10}-byte cap");
        Assert.Equal(1, re.Stats.EventsLostMemory);
        re.Place(Segment(0, 290 << 10, 3, 10), 3);  // fits the cap as declared, but no pool buffer of that size does
        Assert.True(re.Stats.PendingBytes <= 300 << 10, $"{re.Stats.PendingBytes} bytes held over a {300 << 10}-byte cap");
    }

    [Fact]
    public void The_fuzzer_inputs_that_found_it_pass()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "fuzz", "crashes", "ejfat");
        var files = Directory.GetFiles(dir);
        Assert.NotEmpty(files);
        foreach (var f in files) EjfatTarget.Run(File.ReadAllBytes(f));
    }
}

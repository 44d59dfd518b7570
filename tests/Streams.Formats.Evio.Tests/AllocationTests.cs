namespace Streams.Formats.Evio.Tests;

/// <summary>A plain walk over uncompressed data allocates nothing: nodes, children and values are views.</summary>
public class AllocationTests
{
    [Theory]
    [InlineData("evio6-plain.evio")]
    [InlineData("evio6-be.evio")]
    [InlineData("evio4.evio")]
    [InlineData("evio6-dict.evio")]
    public void Walking_a_mapped_uncompressed_file_allocates_nothing(string name)
    {
        using var file = EvioFile.Open(Fixtures.PathOf(name));
        var reader = file.Reader;
        long expected = Walker.WalkNumeric(reader);
        // Warm up past the JIT's tiering so that only the walk itself is measured.
        for (int i = 0; i < 300; i++) Assert.Equal(expected, Walker.WalkNumeric(reader));
        Thread.Sleep(200);
        for (int i = 0; i < 300; i++) Walker.WalkNumeric(reader);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Walker.WalkNumeric(reader);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1000, $"1000 walks of 5 events allocated {allocated} bytes");
    }

    [Fact]
    public void Native_order_values_are_spans_over_the_file_bytes()
    {
        var bytes = Fixtures.Bytes("evio6-plain.evio");
        var r = new EvioReader(bytes);
        foreach (var ev in r.Events)
        {
            var uints = ev.Root.Children[0];
            Assert.True(uints.UInt32s.TryGetSpan(out var span));
            Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(
                ref System.Runtime.InteropServices.MemoryMarshal.GetReference(System.Runtime.InteropServices.MemoryMarshal.AsBytes(span)),
                ref bytes[uints.Offset + 8]));
            break;
        }
        var be = new EvioReader(Fixtures.Bytes("evio6-be.evio"));
        foreach (var ev in be.Events)
        {
            Assert.False(ev.Root.Children[0].UInt32s.TryGetSpan(out _));
            Assert.Equal([1000u, 1001, 1002, 1003, 1004, 1005], ev.Root.Children[0].UInt32s.ToArray());
            break;
        }
    }
}

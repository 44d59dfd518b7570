namespace Streams.Formats.Evio.Tests;

/// <summary>Depth-first search below a node, without recursion.</summary>
public class DescendantsTests
{
    [Fact]
    public void Pre_order_walk_of_a_fixture_event()
    {
        var root = new EvioReader(Fixtures.Bytes("evio6-plain.evio")).Events.First().Root;
        var tags = new List<int>();
        foreach (var n in root.Descendants) tags.Add(n.Tag);
        Assert.Equal([0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x20, 0x21, 0x22, 0x23, 0x30, 0x31, 0x32, 0x33, 0xe101], tags);
        Assert.Equal(EvioStructureKind.TagSegment, root.Descendants.FindFirst(0x32)!.Value.Kind);
        Assert.Null(root.Descendants.FindFirst(0x11, num: 2));
        var found = new List<EvioNode>();
        Assert.Equal(1, root.Descendants.FindAll(0x22, found));
        Assert.Equal([1, 2, 3, 4, 5], found[0].Bytes.ToArray());
    }

    [Fact]
    public void Very_deep_nesting_does_not_overflow_the_stack()
    {
        const int depth = 100_000;
        var b = new EvioBuilder();
        for (int i = 0; i < depth; i++) b.OpenBank(i & 0xffff, EvioDataType.Bank, 0);
        b.OpenBank(7, EvioDataType.UInt32, 42).Add([123u]).Close();
        for (int i = 0; i < depth; i++) b.Close();
        var bank = b.ToArray();
        var ms = new MemoryStream();
        using (var w = new EvioWriter(ms, new EvioWriterOptions { LeaveOpen = true })) w.WriteEvent(bank);
        var root = new EvioReader(ms.ToArray()).Events.First().Root;
        int count = 0;
        foreach (var _ in root.Descendants) count++;
        Assert.Equal(depth, count);
        Assert.Equal(123u, root.Descendants.FindFirst(7, 42)!.Value.UInt32s[0]);
    }
}

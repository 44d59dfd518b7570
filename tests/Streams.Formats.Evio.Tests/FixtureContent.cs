namespace Streams.Formats.Evio.Tests;

/// <summary>Rebuilds the fixture events (evio-format.md section 1) with our builder.</summary>
internal static class FixtureContent
{
    public const string Dictionary =
        "<xmlDict>\n  <bank name=\"topBank\" tag=\"1\" num=\"1\" type=\"bank\">\n    <leaf name=\"uints\" tag=\"17\" num=\"1\" type=\"uint32\"/>\n  </bank>\n</xmlDict>\n";

    public static byte[] FirstEvent(bool bigEndian) =>
        new EvioBuilder(bigEndian).OpenBank(99, EvioDataType.UInt32, 9).Add([0xcafe0001u, 0xcafe0002u]).Close().ToArray();

    public static byte[] Event(int i, bool bigEndian = false)
    {
        var b = new EvioBuilder(bigEndian);
        b.OpenBank(1, EvioDataType.Bank, 1);
        b.OpenBank(0x11, EvioDataType.UInt32, 1).Add(Seq(6, j => (uint)(i * 1000 + j))).Close();
        b.OpenBank(0x12, EvioDataType.Int32, 2).Add(Seq(6, j => -(i * 1000 + j))).Close();
        b.OpenBank(0x13, EvioDataType.Float32, 3).Add(Seq(4, j => i * 1000 + j + 0.5f)).Close();
        b.OpenBank(0x14, EvioDataType.Double64, 4).Add(Seq(3, j => i * 1000 + j + 0.25)).Close();
        b.OpenBank(0x15, EvioDataType.CharStar8, 5).AddStrings($"event{i}", "JLab", "evio").Close();
        b.OpenBank(0x16, EvioDataType.UChar8, 6).Add(Seq(7, j => (byte)((i * 16 + j) & 0xff))).Close();
        b.OpenBank(0x17, EvioDataType.UShort16, 7).Add(Seq(3, j => (ushort)(i * 1000 + j))).Close();
        b.OpenBank(0x18, EvioDataType.ULong64, 8).Add(Seq(2, j => ((ulong)i << 40) + (ulong)j)).Close();
        b.OpenBank(0x19, EvioDataType.Short16, 9).Add(Seq(5, j => (short)-(i * 100 + j))).Close();
        b.OpenBank(0x1a, EvioDataType.Char8, 10).Add(Seq(5, j => (sbyte)-(i * 10 + j))).Close();
        b.OpenBank(0x1b, EvioDataType.Long64, 11).Add(Seq(2, j => -(((long)i << 40) + j))).Close();
        b.OpenBank(0x20, EvioDataType.Segment, 12);
        b.OpenSegment(0x21, EvioDataType.UInt32).Add(Seq(3, j => (uint)(i * 1000 + 100 + j))).Close();
        b.OpenSegment(0x22, EvioDataType.UChar8).Add(Seq(5, j => (byte)(i + j))).Close();
        b.OpenSegment(0x23, EvioDataType.Short16).Add(Seq(3, j => (short)(i * 10 + j))).Close();
        b.Close();
        b.OpenBank(0x30, EvioDataType.TagSegment, 13);
        b.OpenTagSegment(0x31, EvioDataType.UInt32).Add(Seq(2, j => (uint)(i * 1000 + 200 + j))).Close();
        b.OpenTagSegment(0x32, EvioDataType.Float32).Add([i, i + 0.125f]).Close();
        b.OpenTagSegment(0x33, EvioDataType.CharStar8).AddStrings($"tagseg{i}").Close();
        b.Close();
        b.OpenBank(0xe101, EvioDataType.Composite, 14).AddComposite(Composite(i)).Close();
        return b.Close().ToArray();
    }

    /// <summary>"c,i,l,N(c,Ns)": slot, trigger, timestamp, 2 channels x 3 samples (FADC250 mode 1 style).</summary>
    public static CompositeData Composite(int i)
    {
        var items = new List<CompositeItem>
        {
            CompositeItem.UChar((byte)(i + 3)), CompositeItem.UInt((uint)i), CompositeItem.ULong((ulong)i * 1000000007), CompositeItem.Count(2),
        };
        for (int ch = 0; ch < 2; ch++)
        {
            items.Add(CompositeItem.UChar((byte)ch));
            items.Add(CompositeItem.Count(3));
            for (int k = 0; k < 3; k++) items.Add(CompositeItem.UShort((ushort)(i * 100 + ch * 10 + k)));
        }
        return new CompositeData("c,i,l,N(c,Ns)", items, formatTag: 1, dataTag: 2, dataNum: 3);
    }

    private static T[] Seq<T>(int n, Func<int, T> f) => Enumerable.Range(0, n).Select(f).ToArray();
}

using System.Runtime.InteropServices;
using CsCheck;

namespace Streams.Formats.Evio.Tests;

/// <summary>Random bank trees: builder -> writer -> reader gives back the same bytes and the same values.</summary>
public class PropertyTests
{
    /// <summary>A structure tree independent of kind: the parent's type decides each child's kind.</summary>
    public sealed record TNode(int Tag, byte Num, int TypeSelector, byte[] Data, string[] Strings, TNode[] Children)
    {
        public override string ToString() => $"T{Tag} n{Num} s{TypeSelector} d{Data.Length} c[{string.Join(",", Children.AsEnumerable())}]";
    }

    private static readonly EvioDataType[] LeafTypes =
    [
        EvioDataType.UInt32, EvioDataType.Int32, EvioDataType.Float32, EvioDataType.Double64, EvioDataType.Short16,
        EvioDataType.UShort16, EvioDataType.Char8, EvioDataType.UChar8, EvioDataType.Long64, EvioDataType.ULong64,
        EvioDataType.CharStar8, EvioDataType.Unknown32,
    ];

    private static readonly EvioDataType[] ContainerTypes = [EvioDataType.Bank, EvioDataType.Segment, EvioDataType.TagSegment];

    private static readonly Gen<string> Word = Gen.Char['a', 'z'].Array[1, 9].Select(c => new string(c));

    private static readonly Gen<TNode> Tree = Gen.Recursive<TNode>((depth, self) =>
    {
        var leaf = Gen.Select(Gen.Int[0, 0xffff], Gen.Byte, Gen.Int[0, LeafTypes.Length - 1], Gen.Byte.Array[0, 40], Word.Array[0, 4],
            (t, n, s, d, str) => new TNode(t, n, s, d, str, []));
        if (depth >= 4) return leaf;
        var container = Gen.Select(Gen.Int[0, 0xffff], Gen.Byte, Gen.Int[0, 2], self.Array[0, 4],
            (t, n, s, c) => new TNode(t, n, 100 + s, [], [], c));
        return Gen.Frequency((3, leaf), (2, container));
    });

    private static bool IsContainer(TNode n) => n.TypeSelector >= 100;

    private static EvioDataType TypeOf(TNode n) => IsContainer(n) ? ContainerTypes[n.TypeSelector - 100] : LeafTypes[n.TypeSelector];

    /// <summary>The data actually written: whole elements, and whole words inside a tagsegment (no pad field there).</summary>
    private static byte[] DataOf(TNode n, EvioStructureKind kind)
    {
        int size = TypeOf(n).ElementSize();
        int len = n.Data.Length / size * size;
        if (kind == EvioStructureKind.TagSegment) len &= ~3;
        return n.Data[..len];
    }

    private static void Emit(EvioBuilder b, TNode n, EvioStructureKind kind)
    {
        var type = TypeOf(n);
        switch (kind)
        {
            case EvioStructureKind.Bank: b.OpenBank(n.Tag, type, n.Num); break;
            case EvioStructureKind.Segment: b.OpenSegment(n.Tag & 0xff, type); break;
            default: b.OpenTagSegment(n.Tag & 0xfff, type); break;
        }
        if (IsContainer(n))
        {
            foreach (var c in n.Children) Emit(b, c, type.ChildKind());
        }
        else
        {
            var d = DataOf(n, kind);
            switch (type.ElementSize())
            {
                case 1 when type == EvioDataType.CharStar8: b.AddStrings(n.Strings); break;
                case 1 when type == EvioDataType.Char8: b.Add(MemoryMarshal.Cast<byte, sbyte>(d)); break;
                case 1: b.Add(d); break;
                case 2 when type == EvioDataType.Short16: b.Add(MemoryMarshal.Cast<byte, short>(d)); break;
                case 2: b.Add(MemoryMarshal.Cast<byte, ushort>(d)); break;
                case 4 when type == EvioDataType.Float32: b.Add(MemoryMarshal.Cast<byte, float>(d)); break;
                case 4 when type == EvioDataType.Int32: b.Add(MemoryMarshal.Cast<byte, int>(d)); break;
                case 4: b.Add(MemoryMarshal.Cast<byte, uint>(d)); break;
                case 8 when type == EvioDataType.Double64: b.Add(MemoryMarshal.Cast<byte, double>(d)); break;
                case 8 when type == EvioDataType.Long64: b.Add(MemoryMarshal.Cast<byte, long>(d)); break;
                default: b.Add(MemoryMarshal.Cast<byte, ulong>(d)); break;
            }
        }
        b.Close();
    }

    private static void AssertSame(TNode n, EvioNode node, EvioStructureKind kind)
    {
        var type = TypeOf(n);
        Assert.Equal(kind, node.Kind);
        Assert.Equal(kind switch { EvioStructureKind.Bank => n.Tag, EvioStructureKind.Segment => n.Tag & 0xff, _ => n.Tag & 0xfff }, node.Tag);
        Assert.Equal(kind == EvioStructureKind.Bank ? n.Num : 0, node.Num);
        var expectedType = kind == EvioStructureKind.TagSegment && type == EvioDataType.Bank ? EvioDataType.AlsoBank
            : kind == EvioStructureKind.TagSegment && type == EvioDataType.Segment ? EvioDataType.AlsoSegment : type;
        Assert.Equal(expectedType, node.DataType);
        if (IsContainer(n))
        {
            var children = node.Children.ToList();
            Assert.Equal(n.Children.Length, children.Count);
            for (int i = 0; i < children.Count; i++) AssertSame(n.Children[i], children[i], type.ChildKind());
            return;
        }
        var d = DataOf(n, kind);
        switch (type.ElementSize())
        {
            case 1 when type == EvioDataType.CharStar8: Assert.Equal(n.Strings, node.GetStrings()); break;
            case 1: Assert.Equal(d, node.GetValues<byte>().ToArray()); break;
            case 2: Assert.Equal(MemoryMarshal.Cast<byte, ushort>(d).ToArray(), node.GetValues<ushort>().ToArray()); break;
            case 4: Assert.Equal(MemoryMarshal.Cast<byte, uint>(d).ToArray(), node.GetValues<uint>().ToArray()); break;
            default: Assert.Equal(MemoryMarshal.Cast<byte, ulong>(d).ToArray(), node.GetValues<ulong>().ToArray()); break;
        }
    }

    [Fact]
    public void Random_bank_trees_round_trip_through_writer_and_reader()
    {
        var gen = Gen.Select(Tree.Array[1, 6], Gen.Bool, Gen.OneOf(EvioCompression.None, EvioCompression.Lz4, EvioCompression.Gzip), Gen.Int[1, 4]);
        gen.Sample((trees, bigEndian, compression, perRecord) =>
        {
            var events = new List<byte[]>();
            foreach (var t in trees)
            {
                var b = new EvioBuilder(bigEndian);
                Emit(b, t, EvioStructureKind.Bank);
                events.Add(b.ToArray());
            }
            var ms = new MemoryStream();
            using (var w = new EvioWriter(ms, new EvioWriterOptions { BigEndian = bigEndian, Compression = compression, MaxEventsPerRecord = perRecord, LeaveOpen = true }))
                foreach (var e in events) w.WriteEvent(e);
            var r = new EvioReader(ms.ToArray());
            var read = r.Events.ToList();
            Assert.Equal(events, read.Select(e => e.Memory.ToArray()));
            for (int i = 0; i < trees.Length; i++) AssertSame(trees[i], read[i].Root, EvioStructureKind.Bank);
        }, iter: 300, threads: 1);
    }

    private static readonly CompositeType[] ItemTypes =
    [
        CompositeType.UChar8, CompositeType.Char8, CompositeType.UShort16, CompositeType.Short16, CompositeType.UInt32,
        CompositeType.Int32, CompositeType.ULong64, CompositeType.Long64, CompositeType.Float32, CompositeType.Double64,
    ];

    [Fact]
    public void Random_composite_items_round_trip_in_both_byte_orders()
    {
        var item = Gen.Select(Gen.Int[0, ItemTypes.Length - 1], Gen.ULong, (t, bits) =>
        {
            var type = ItemTypes[t];
            int size = CompositeItem.SizeOf(type);
            return new CompositeItem(type, size == 8 ? bits : bits & ((1UL << (8 * size)) - 1));
        });
        Gen.Select(item.Array[1, 12], Gen.Bool).Sample((items, bigEndian) =>
        {
            // The format lists the letters of the items in order; N(...) wraps a counted group.
            string format = string.Join(",", items.Select(i => (char)i.Type)) + ",N(c,s)";
            CompositeItem[] all = [.. items, CompositeItem.Count(2), CompositeItem.UChar(1), CompositeItem.UShort(2), CompositeItem.UChar(3), CompositeItem.UShort(4)];
            var bank = new EvioBuilder(bigEndian).OpenBank(1, EvioDataType.Composite, 1)
                .AddComposite(new CompositeData(format, all, 1, 2, 3)).Close().ToArray();
            var ms = new MemoryStream();
            using (var w = new EvioWriter(ms, new EvioWriterOptions { BigEndian = bigEndian, LeaveOpen = true })) w.WriteEvent(bank);
            var root = new EvioReader(ms.ToArray()).Events.First().Root;
            var c = root.GetComposite();
            Assert.Equal(format, c.Format);
            Assert.Equal(all, c.Items);
        }, iter: 300, threads: 1);
    }

    [Fact]
    public void Damaged_random_files_throw_only_format_exceptions()
    {
        var patch = Gen.Select(Gen.Int[0, 1 << 20], Gen.UInt, Gen.Bool);
        Gen.Select(Tree.Array[1, 4], Gen.Bool, Gen.OneOf(EvioCompression.None, EvioCompression.Lz4), patch.Array[1, 4]).Sample((trees, bigEndian, compression, patches) =>
        {
            var ms = new MemoryStream();
            using (var w = new EvioWriter(ms, new EvioWriterOptions { BigEndian = bigEndian, Compression = compression, MaxEventsPerRecord = 2, LeaveOpen = true }))
            {
                foreach (var t in trees)
                {
                    var b = new EvioBuilder(bigEndian);
                    Emit(b, t, EvioStructureKind.Bank);
                    w.WriteEvent(b.ToArray());
                }
                var c = new EvioBuilder(bigEndian).OpenBank(0xe101, EvioDataType.Composite, 1)
                    .AddComposite(FixtureContent.Composite(trees.Length)).Close().ToArray();
                w.WriteEvent(c);
            }
            var bytes = ms.ToArray();
            foreach (var (at, value, word) in patches)
            {
                int i = at % bytes.Length;
                if (word && i + 4 <= bytes.Length) BitConverter.TryWriteBytes(bytes.AsSpan(i & ~3), value);
                else bytes[i] = (byte)value;
            }
            MalformedInputTests.Check(bytes, "damaged random file");
        }, iter: 1500, threads: 1);
    }

    [Fact]
    public void Random_bytes_never_escape_as_anything_but_a_format_exception()
    {
        var valid = Fixtures.Bytes("evio6-plain.evio");
        var gen = Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte.Array[1, 16], Gen.Int[0, valid.Length]);
        gen.Sample((at, patch, cut) =>
        {
            var copy = valid.ToArray();
            patch.AsSpan(0, Math.Min(patch.Length, copy.Length - at)).CopyTo(copy.AsSpan(at));
            MalformedInputTests.Check(copy.AsMemory(0, Math.Max(cut, 0)), $"patch at {at}, cut {cut}");
        }, iter: 2000, threads: 1);
    }
}

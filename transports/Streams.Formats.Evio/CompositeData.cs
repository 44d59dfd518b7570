using System.Buffers.Binary;

namespace Streams.Formats.Evio;

/// <summary>
/// COMPOSITE (type 0xf) data: a tagsegment (type CHARSTAR8) holding the format string, then a full
/// bank header whose data are the items, packed with no alignment; the inner bank's pad field says
/// how many bytes of its last word are unused. On byte swap every item is swapped by its own size.
/// </summary>
public sealed class CompositeData
{
    public CompositeData(string format, IReadOnlyList<CompositeItem> items, int formatTag = 1, int dataTag = 0, byte dataNum = 0)
    {
        Format = format ?? throw new ArgumentNullException(nameof(format));
        Items = items ?? throw new ArgumentNullException(nameof(items));
        FormatTag = formatTag;
        DataTag = dataTag;
        DataNum = dataNum;
    }

    /// <summary>The format string, e.g. <c>c,i,l,N(c,Ns)</c>.</summary>
    public string Format { get; }

    /// <summary>The decoded items in data order; repeat counts read from the data appear as Count items.</summary>
    public IReadOnlyList<CompositeItem> Items { get; }

    /// <summary>Tag of the tagsegment holding the format.</summary>
    public int FormatTag { get; }

    /// <summary>Tag of the inner data bank.</summary>
    public int DataTag { get; }

    /// <summary>Num of the inner data bank.</summary>
    public byte DataNum { get; }

    /// <summary>Packed size of the items in bytes.</summary>
    public int ItemBytes => Items.Sum(i => i.Size);

    internal static CompositeData Decode(EvioNode node)
    {
        var raw = node.RawData;
        var map = node.Map;
        int baseAt = node.Start + node.HeaderBytes;
        var fmtNode = EvioNode.Parse(node.Buffer, map, baseAt, baseAt + raw.Length, EvioStructureKind.TagSegment, node.IsBigEndian);
        if (fmtNode.DataType != EvioDataType.CharStar8)
            throw map.Error($"composite format tagsegment has type {fmtNode.DataType}, expected CHARSTAR8", baseAt);
        var strings = EvioStrings.Decode(fmtNode.RawData);
        if (strings.Length == 0) throw map.Error("composite format string is empty", baseAt);
        CompositeFormat format;
        try { format = CompositeFormat.Parse(strings[0]); }
        catch (FormatException e) { throw map.Error("bad composite format: " + e.Message, baseAt); }
        int bankAt = baseAt + fmtNode.TotalBytes;
        var dataNode = EvioNode.Parse(node.Buffer, map, bankAt, baseAt + raw.Length, EvioStructureKind.Bank, node.IsBigEndian);
        // The pad bits of the inner bank count the unused bytes of the packed items.
        var data = dataNode.RawData[..(dataNode.TotalBytes - 8 - dataNode.Padding)];
        var items = new List<CompositeItem>();
        var reader = new ItemReader(data, node.IsBigEndian, items, map, bankAt + 8);
        reader.Run(format);
        return new CompositeData(strings[0], items, fmtNode.Tag, dataNode.Tag, dataNode.Num);
    }

    /// <summary>Encodes the format tagsegment and the data bank (the content of a COMPOSITE structure).</summary>
    public byte[] Encode(bool bigEndian = false)
    {
        _ = CompositeFormat.Parse(Format); // reject formats no reader could use
        string[] fmt = [Format];
        int fmtBytes = EvioStrings.EncodedLength(fmt);
        int items = ItemBytes;
        int pad = Words.Pad4(items);
        var buf = new byte[4 + fmtBytes + 8 + items + pad];
        if (fmtBytes / 4 > 0xffff || (FormatTag & ~0xfff) != 0) throw new ArgumentException("composite format too long or tag too large");
        Words.Put32(buf, 0, ((uint)FormatTag << 20) | (3u << 16) | (uint)(fmtBytes / 4), bigEndian);
        EvioStrings.Encode(fmt, buf.AsSpan(4));
        int at = 4 + fmtBytes;
        Words.Put32(buf, at, (uint)((8 + items + pad) / 4 - 1), bigEndian);
        Words.Put32(buf, at + 4, ((uint)(ushort)DataTag << 16) | ((uint)pad << 14) | (0xfu << 8) | DataNum, bigEndian);
        at += 8;
        foreach (var item in Items)
        {
            var dst = buf.AsSpan(at, item.Size);
            switch (item.Size)
            {
                case 1: dst[0] = (byte)item.Bits; break;
                case 2:
                    if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(dst, (ushort)item.Bits);
                    else BinaryPrimitives.WriteUInt16LittleEndian(dst, (ushort)item.Bits);
                    break;
                case 4: Words.Put32(dst, 0, (uint)item.Bits, bigEndian); break;
                default: Words.Put64(dst, 0, item.Bits, bigEndian); break;
            }
            at += item.Size;
        }
        return buf;
    }

    public override string ToString() => $"format=\"{Format}\" items: {string.Join(' ', Items)}";

    /// <summary>Walks the format over the packed data, emitting one item per value read.</summary>
    private ref struct ItemReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly bool _big;
        private readonly List<CompositeItem> _out;
        private readonly OffsetMap _map;
        private readonly int _at;
        private int _pos;

        public ItemReader(ReadOnlySpan<byte> data, bool big, List<CompositeItem> output, OffsetMap map, int at)
        {
            _data = data; _big = big; _out = output; _map = map; _at = at; _pos = 0;
        }

        private readonly bool Done => _pos >= _data.Length;

        public void Run(CompositeFormat format)
        {
            var nodes = format.Nodes;
            if (nodes.Count == 0) return;
            // When the format is exhausted before the data, JLab's eviofmt starts over from the
            // beginning of the whole format (its "back to the last parenthesis" is commented out).
            while (!Done)
            {
                int before = _pos;
                RunList(nodes, top: true);
                if (_pos == before) break; // no progress: the format consumes nothing
            }
        }

        private void RunList(IReadOnlyList<CompositeFormat.Node> list, bool top)
        {
            for (int k = 0; k < list.Count; k++)
            {
                var node = list[k];
                if (Done) return;
                long reps = node.Repeat switch
                {
                    CompositeFormat.RepeatKind.Once => 1,
                    CompositeFormat.RepeatKind.Fixed => node.Count,
                    CompositeFormat.RepeatKind.FromData32 => Read(CompositeType.Count32).Int64,
                    CompositeFormat.RepeatKind.FromData16 => Read(CompositeType.Count16).Int64,
                    _ => Read(CompositeType.Count8).Int64,
                };
                if (reps < 0) throw _map.Error($"negative composite repeat count {reps}", _at + _pos);
                // A format that ends with a group of one letter, "...(X)", repeats X to the end of the data.
                if (top && k == list.Count - 1 && node.Group is [{ Group: null } only])
                {
                    while (!Done) _out.Add(Read(only.Letter));
                    return;
                }
                for (long r = 0; r < reps && !Done; r++)
                {
                    if (node.Group == null) { _out.Add(Read(node.Letter)); continue; }
                    int before = _pos;
                    RunList(node.Group, top: false);
                    if (_pos == before) break; // a group that reads nothing would loop forever
                }
            }
        }

        private CompositeItem Read(CompositeType type)
        {
            int size = CompositeItem.SizeOf(type);
            if (_data.Length - _pos < size)
                throw _map.Error($"composite item {(char)type} needs {size} bytes, {_data.Length - _pos} remain", _at + _pos);
            var s = _data.Slice(_pos, size);
            ulong bits = size switch
            {
                1 => s[0],
                2 => _big ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s),
                4 => Words.U32(s, 0, _big),
                _ => Words.U64(s, 0, _big),
            };
            _pos += size;
            var item = new CompositeItem(type, bits);
            if (type is CompositeType.Count32 or CompositeType.Count16 or CompositeType.Count8) _out.Add(item);
            return item;
        }
    }
}

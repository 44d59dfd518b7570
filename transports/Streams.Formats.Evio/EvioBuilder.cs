using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Streams.Formats.Evio;

/// <summary>
/// Builds a tree of EVIO structures into bytes, in either byte order. Open a container or leaf with
/// <see cref="OpenBank"/>, <see cref="OpenSegment"/> or <see cref="OpenTagSegment"/>, add typed data
/// to a leaf, and <see cref="Close"/> it: lengths and the padding of 8/16-bit data are filled in then.
/// <code>
/// var b = new EvioBuilder();
/// b.OpenBank(1, EvioDataType.Bank, 1).OpenBank(0x11, EvioDataType.UInt32, 1).Add([1u, 2u]).Close().Close();
/// byte[] evt = b.ToArray();
/// </code>
/// </summary>
public sealed class EvioBuilder
{
    private readonly List<Frame> _open = [];
    private byte[] _buf = new byte[256];
    private int _len;

    /// <summary>Creates a builder writing in little (default) or big endian order.</summary>
    public EvioBuilder(bool bigEndian = false) => IsBigEndian = bigEndian;

    public bool IsBigEndian { get; }

    /// <summary>Bytes written so far (complete only when every structure is closed).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buf.AsSpan(0, _len);

    /// <summary>Number of structures still open.</summary>
    public int Depth => _open.Count;

    /// <summary>Starts over (keeps the buffer).</summary>
    public void Reset() { _open.Clear(); _len = 0; }

    /// <summary>The finished bytes; every structure must be closed.</summary>
    public byte[] ToArray()
    {
        if (_open.Count != 0) throw new InvalidOperationException($"{_open.Count} structure(s) still open");
        return WrittenSpan.ToArray();
    }

    public EvioBuilder OpenBank(int tag, EvioDataType type, byte num = 0)
    {
        if ((uint)tag > 0xffff) throw new ArgumentOutOfRangeException(nameof(tag), "bank tags are 16 bits");
        return Open(EvioStructureKind.Bank, tag, type, num);
    }

    public EvioBuilder OpenSegment(int tag, EvioDataType type)
    {
        if ((uint)tag > 0xff) throw new ArgumentOutOfRangeException(nameof(tag), "segment tags are 8 bits");
        return Open(EvioStructureKind.Segment, tag, type, 0);
    }

    /// <summary>Tagsegments have a 4-bit type: BANK and SEGMENT are written as their aliases 0xe and 0xd.</summary>
    public EvioBuilder OpenTagSegment(int tag, EvioDataType type)
    {
        if ((uint)tag > 0xfff) throw new ArgumentOutOfRangeException(nameof(tag), "tagsegment tags are 12 bits");
        type = type switch { EvioDataType.Bank => EvioDataType.AlsoBank, EvioDataType.Segment => EvioDataType.AlsoSegment, _ => type };
        return Open(EvioStructureKind.TagSegment, tag, type, 0);
    }

    private EvioBuilder Open(EvioStructureKind kind, int tag, EvioDataType type, byte num)
    {
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type));
        if (_open.Count > 0)
        {
            var parent = _open[^1];
            if (!parent.Type.IsContainer() || parent.Type.ChildKind() != kind)
                throw new InvalidOperationException($"a {parent.Type} structure cannot hold a {kind}");
        }
        int header = kind == EvioStructureKind.Bank ? 8 : 4;
        _open.Add(new Frame(_len, kind, tag, type, num));
        Reserve(header).Clear();
        return this;
    }

    /// <summary>Closes the innermost structure: pads 8/16-bit data and writes the header.</summary>
    public EvioBuilder Close()
    {
        if (_open.Count == 0) throw new InvalidOperationException("nothing open");
        var f = _open[^1];
        _open.RemoveAt(_open.Count - 1);
        int header = f.Kind == EvioStructureKind.Bank ? 8 : 4;
        int data = _len - f.Start - header;
        int pad = Words.Pad4(data);
        Reserve(pad).Clear(); // pad bytes are written as 0
        if (pad != 0 && f.Kind == EvioStructureKind.TagSegment)
            throw new InvalidOperationException("a tagsegment has no padding field: its 8/16-bit data must fill whole words");
        uint length = (uint)((_len - f.Start) / 4 - 1);
        var s = _buf.AsSpan();
        uint type = (uint)f.Type;
        switch (f.Kind)
        {
            case EvioStructureKind.Bank:
                Words.Put32(s, f.Start, length, IsBigEndian);
                Words.Put32(s, f.Start + 4, ((uint)f.Tag << 16) | ((uint)pad << 14) | (type << 8) | f.Num, IsBigEndian);
                break;
            case EvioStructureKind.Segment:
                if (length > 0xffff) throw new InvalidOperationException("segment longer than 65535 words");
                Words.Put32(s, f.Start, ((uint)f.Tag << 24) | ((uint)pad << 22) | (type << 16) | length, IsBigEndian);
                break;
            default:
                if (length > 0xffff) throw new InvalidOperationException("tagsegment longer than 65535 words");
                Words.Put32(s, f.Start, ((uint)f.Tag << 20) | ((type & 0xf) << 16) | length, IsBigEndian);
                break;
        }
        return this;
    }

    public EvioBuilder Add(ReadOnlySpan<uint> v) => AddValues(v, EvioDataType.UInt32, EvioDataType.Unknown32);
    public EvioBuilder Add(ReadOnlySpan<int> v) => AddValues(v, EvioDataType.Int32, EvioDataType.Unknown32);
    public EvioBuilder Add(ReadOnlySpan<float> v) => AddValues(v, EvioDataType.Float32, EvioDataType.Float32);
    public EvioBuilder Add(ReadOnlySpan<double> v) => AddValues(v, EvioDataType.Double64, EvioDataType.Double64);
    public EvioBuilder Add(ReadOnlySpan<short> v) => AddValues(v, EvioDataType.Short16, EvioDataType.Short16);
    public EvioBuilder Add(ReadOnlySpan<ushort> v) => AddValues(v, EvioDataType.UShort16, EvioDataType.UShort16);
    public EvioBuilder Add(ReadOnlySpan<long> v) => AddValues(v, EvioDataType.Long64, EvioDataType.Long64);
    public EvioBuilder Add(ReadOnlySpan<ulong> v) => AddValues(v, EvioDataType.ULong64, EvioDataType.ULong64);
    public EvioBuilder Add(ReadOnlySpan<sbyte> v) => AddValues(v, EvioDataType.Char8, EvioDataType.Char8);
    public EvioBuilder Add(ReadOnlySpan<byte> v) => AddValues(v, EvioDataType.UChar8, EvioDataType.UChar8);

    /// <summary>CHARSTAR8 data: the whole string array at once (NUL after each, 0x04 padding).</summary>
    public EvioBuilder AddStrings(params string[] strings)
    {
        CheckLeaf(EvioDataType.CharStar8, EvioDataType.CharStar8, once: true);
        int n = EvioStrings.EncodedLength(strings);
        EvioStrings.Encode(strings, Reserve(n));
        return this;
    }

    /// <summary>COMPOSITE data (format tagsegment + data bank), once per structure.</summary>
    public EvioBuilder AddComposite(CompositeData composite)
    {
        ArgumentNullException.ThrowIfNull(composite);
        CheckLeaf(EvioDataType.Composite, EvioDataType.Composite, once: true);
        var bytes = composite.Encode(IsBigEndian);
        bytes.CopyTo(Reserve(bytes.Length));
        return this;
    }

    /// <summary>Copies an already encoded structure (in this builder's byte order) into the open container.</summary>
    public EvioBuilder AddStructure(ReadOnlySpan<byte> structure)
    {
        if (_open.Count > 0 && !_open[^1].Type.IsContainer()) throw new InvalidOperationException("the open structure is not a container");
        structure.CopyTo(Reserve(structure.Length));
        return this;
    }

    private EvioBuilder AddValues<T>(ReadOnlySpan<T> values, EvioDataType expected, EvioDataType alternative) where T : unmanaged
    {
        CheckLeaf(expected, alternative, once: false);
        var src = MemoryMarshal.AsBytes(values);
        var dst = Reserve(src.Length);
        src.CopyTo(dst);
        int size = Unsafe.SizeOf<T>();
        if (size > 1 && IsBigEndian == BitConverter.IsLittleEndian)
            for (int i = 0; i < dst.Length; i += size) dst.Slice(i, size).Reverse();
        return this;
    }

    private void CheckLeaf(EvioDataType expected, EvioDataType alternative, bool once)
    {
        if (_open.Count == 0) throw new InvalidOperationException("open a structure before adding data");
        var f = _open[^1];
        if (f.Type != expected && f.Type != alternative)
            throw new InvalidOperationException($"the open structure holds {f.Type}, not {expected}");
        int header = f.Kind == EvioStructureKind.Bank ? 8 : 4;
        if (once && _len != f.Start + header) throw new InvalidOperationException($"{expected} data can be added only once per structure");
    }

    private Span<byte> Reserve(int n)
    {
        if (_buf.Length - _len < n) Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _len + n));
        var s = _buf.AsSpan(_len, n);
        _len += n;
        return s;
    }

    private readonly record struct Frame(int Start, EvioStructureKind Kind, int Tag, EvioDataType Type, byte Num);
}

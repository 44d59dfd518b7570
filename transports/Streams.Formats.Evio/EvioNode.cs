using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Streams.Formats.Evio;

/// <summary>
/// A zero-copy view of one EVIO structure (bank, segment or tagsegment) inside a buffer. Creating a
/// node checks its header and that its length fits in its container, so every view handed out is
/// in bounds; children are parsed on demand by <see cref="Children"/> with the same checks.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly struct EvioNode
{
    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly OffsetMap _map;
    private readonly int _start;
    private readonly int _totalBytes;

    private EvioNode(ReadOnlyMemory<byte> buffer, OffsetMap map, int start, int totalBytes, EvioStructureKind kind,
        int tag, byte num, EvioDataType type, byte padding, bool bigEndian)
    {
        _buffer = buffer;
        _map = map;
        _start = start;
        _totalBytes = totalBytes;
        Kind = kind;
        Tag = tag;
        Num = num;
        DataType = type;
        Padding = padding;
        IsBigEndian = bigEndian;
    }

    /// <summary>Bank, segment or tagsegment.</summary>
    public EvioStructureKind Kind { get; }

    /// <summary>Tag: 16 bits for banks, 8 for segments, 12 for tagsegments.</summary>
    public int Tag { get; }

    /// <summary>Num (banks only; 0 for segments and tagsegments).</summary>
    public byte Num { get; }

    /// <summary>Content type with the padding bits masked off (type &amp; 0x3f).</summary>
    public EvioDataType DataType { get; }

    /// <summary>Unused bytes at the end of the last data word (8/16-bit data; always 0 for tagsegments).</summary>
    public byte Padding { get; }

    /// <summary>Byte order of the data (true: big endian).</summary>
    public bool IsBigEndian { get; }

    /// <summary>The header length field: number of 32-bit words after the first header word.</summary>
    public int LengthWords => (_totalBytes >> 2) - 1;

    /// <summary>Whole structure size in bytes, header included: 4*(length+1).</summary>
    public int TotalBytes => _totalBytes;

    /// <summary>Header size in bytes (8 for banks, 4 otherwise).</summary>
    public int HeaderBytes => Kind == EvioStructureKind.Bank ? 8 : 4;

    /// <summary>Offset of the header in the file (or in the decompressed record, see <see cref="IsInCompressedRecord"/>).</summary>
    public long Offset => _map.Base + _start;

    /// <summary>True when the node lives in an inflated copy of a compressed record.</summary>
    public bool IsInCompressedRecord => _map.Inflated;

    /// <summary>The whole structure (header and data) in file byte order.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.Slice(_start, _totalBytes);

    /// <summary>The whole structure (header and data) in file byte order.</summary>
    public ReadOnlySpan<byte> Span => _buffer.Span.Slice(_start, _totalBytes);

    /// <summary>All data words, padding included.</summary>
    public ReadOnlySpan<byte> RawData => _buffer.Span.Slice(_start + HeaderBytes, _totalBytes - HeaderBytes);

    /// <summary>The data bytes without the trailing padding (for 8- and 16-bit types).</summary>
    public ReadOnlySpan<byte> Data => RawData[..DataBytes];

    /// <summary>Number of data bytes, padding excluded.</summary>
    public int DataBytes => _totalBytes - HeaderBytes - (DataType.IsPadded() ? Padding : 0);

    /// <summary>True when this structure holds child structures.</summary>
    public bool IsContainer => DataType.IsContainer();

    /// <summary>Number of data elements of the node's type (bytes for strings and composite).</summary>
    public int ItemCount => IsContainer ? 0 : DataBytes / DataType.ElementSize();

    /// <summary>The child structures (empty for a leaf).</summary>
    public EvioChildren Children => IsContainer
        ? new EvioChildren(_buffer, _map, _start + HeaderBytes, _start + _totalBytes, DataType.ChildKind(), IsBigEndian)
        : default;

    /// <summary>Every structure below this one, depth first, without recursion.</summary>
    public EvioDescendants Descendants => new(this);

    /// <summary>
    /// A view of one whole bank held alone in <paramref name="bank"/> (an event's payload, as sent over a network or
    /// copied out of a file). The length word must cover the buffer exactly; children are checked as they are read.
    /// Offsets in exceptions are offsets in <paramref name="bank"/>.
    /// </summary>
    /// <exception cref="EvioFormatException">not a whole bank.</exception>
    public static EvioNode ParseBank(ReadOnlyMemory<byte> bank, bool bigEndian)
    {
        var map = new OffsetMap(0, false);
        if (bank.Length < 8 || (bank.Length & 3) != 0)
            throw map.Error($"a bank is whole 32-bit words, at least 2; {bank.Length} bytes given", 0);
        var node = Parse(bank, map, 0, bank.Length, EvioStructureKind.Bank, bigEndian);
        if (node.TotalBytes != bank.Length)
            throw map.Error($"bank length {node.LengthWords} words does not cover the {bank.Length} bytes given", 0);
        return node;
    }

    /// <summary>
    /// The byte order of a bank held alone in <paramref name="bank"/>, told by which reading of its length word covers
    /// the buffer exactly (big endian when both do); null when neither does.
    /// </summary>
    public static bool? BankByteOrder(ReadOnlySpan<byte> bank)
    {
        if (bank.Length < 8 || (bank.Length & 3) != 0) return null;
        long words = (bank.Length / 4) - 1;
        if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bank) == words) return true;
        if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bank) == words) return false;
        return null;
    }

    /// <summary>Parses a structure of <paramref name="kind"/> at <paramref name="start"/>, which must end by <paramref name="limit"/>.</summary>
    internal static EvioNode Parse(ReadOnlyMemory<byte> buffer, OffsetMap map, int start, int limit,
        EvioStructureKind kind, bool bigEndian)
    {
        var s = buffer.Span;
        int headerBytes = kind == EvioStructureKind.Bank ? 8 : 4;
        if (limit - start < headerBytes)
            throw map.Error($"{kind} header needs {headerBytes} bytes, {limit - start} remain", start);
        uint w0 = Words.U32(s, start, bigEndian);
        long lengthWords;
        int tag;
        byte num = 0, pad = 0;
        int typeCode;
        switch (kind)
        {
            case EvioStructureKind.Bank:
                uint w1 = Words.U32(s, start + 4, bigEndian);
                lengthWords = w0;
                tag = (int)(w1 >> 16);
                pad = (byte)((w1 >> 14) & 3);
                typeCode = (int)((w1 >> 8) & 0x3f); // the type byte holds (pad << 6) | type
                num = (byte)w1;
                break;
            case EvioStructureKind.Segment:
                tag = (int)(w0 >> 24);
                pad = (byte)((w0 >> 22) & 3);
                typeCode = (int)((w0 >> 16) & 0x3f);
                lengthWords = w0 & 0xffff;
                break;
            default:
                tag = (int)(w0 >> 20);
                typeCode = (int)((w0 >> 16) & 0xf); // tagsegments have no padding field
                lengthWords = w0 & 0xffff;
                break;
        }
        // The length never counts the first header word: total = 4 * (length + 1).
        long total = 4 * (lengthWords + 1);
        if (total < headerBytes)
            throw map.Error($"{kind} length {lengthWords} is shorter than its header", start);
        if (total > limit - start)
            throw map.Error($"{kind} length {lengthWords} words ({total} bytes) runs past its container ({limit - start} bytes remain)", start);
        var type = (EvioDataType)typeCode;
        if (typeCode > 0x10 && typeCode != 0x20) // defined codes: 0x0-0x10 and 0x20
            throw map.Error($"{kind} has unknown data type 0x{typeCode:x2}", start);
        // The pad counts unused bytes of the last data word (8/16-bit data, and the inner bank of composite data).
        if (pad > total - headerBytes)
            throw map.Error($"{kind} padding {pad} exceeds its data", start);
        return new EvioNode(buffer, map, start, (int)total, kind, tag, num, type, pad, bigEndian);
    }

    /// <summary>The data viewed as elements of <typeparamref name="T"/> (no type check; byte order honoured).</summary>
    public EvioValues<T> GetValues<T>() where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        int n = DataBytes;
        if (n % size != 0)
            throw _map.Error($"{DataType} data of {n} bytes is not a whole number of {size}-byte items", _start);
        return new EvioValues<T>(RawData[..n], IsBigEndian != !BitConverter.IsLittleEndian);
    }

    public EvioValues<uint> UInt32s => Typed<uint>(EvioDataType.UInt32, EvioDataType.Unknown32);
    public EvioValues<int> Int32s => Typed<int>(EvioDataType.Int32, EvioDataType.Unknown32);
    public EvioValues<float> Floats => Typed<float>(EvioDataType.Float32, EvioDataType.Float32);
    public EvioValues<double> Doubles => Typed<double>(EvioDataType.Double64, EvioDataType.Double64);
    public EvioValues<short> Int16s => Typed<short>(EvioDataType.Short16, EvioDataType.Short16);
    public EvioValues<ushort> UInt16s => Typed<ushort>(EvioDataType.UShort16, EvioDataType.UShort16);
    public EvioValues<long> Int64s => Typed<long>(EvioDataType.Long64, EvioDataType.Long64);
    public EvioValues<ulong> UInt64s => Typed<ulong>(EvioDataType.ULong64, EvioDataType.ULong64);
    public EvioValues<sbyte> SBytes => Typed<sbyte>(EvioDataType.Char8, EvioDataType.Char8);
    public EvioValues<byte> Bytes => Typed<byte>(EvioDataType.UChar8, EvioDataType.UChar8);

    /// <summary>CHARSTAR8 data as strings (allocates), see <see cref="EvioStrings"/>.</summary>
    public string[] GetStrings()
    {
        if (DataType != EvioDataType.CharStar8) throw new InvalidOperationException($"{DataType} is not CHARSTAR8");
        return EvioStrings.Decode(RawData);
    }

    /// <summary>COMPOSITE data decoded into its format and typed items (allocates).</summary>
    public CompositeData GetComposite()
    {
        if (DataType != EvioDataType.Composite) throw new InvalidOperationException($"{DataType} is not COMPOSITE");
        return CompositeData.Decode(this);
    }

    internal EvioFormatException Error(string message, int relative = 0) => _map.Error(message, _start + relative);

    internal OffsetMap Map => _map;

    internal ReadOnlyMemory<byte> Buffer => _buffer;

    internal int Start => _start;

    private EvioValues<T> Typed<T>(EvioDataType expected, EvioDataType alternative) where T : unmanaged
    {
        if (DataType != expected && DataType != alternative)
            throw new InvalidOperationException($"structure holds {DataType}, not {expected}");
        return GetValues<T>();
    }

    public override string ToString() =>
        $"{Kind} tag=0x{Tag:x}({Tag}) num={Num} type={DataType.JLabName()} len={LengthWords} pad={Padding}";
}

/// <summary>Maps buffer positions to file offsets for error messages.</summary>
internal readonly record struct OffsetMap(long Base, bool Inflated)
{
    public EvioFormatException Error(string message, int position) =>
        Inflated ? new EvioFormatException(message, Base, position) : new EvioFormatException(message, Base + position);
}

using System.Globalization;

namespace Streams.Formats.Evio;

/// <summary>Item types of COMPOSITE data; the letter is the format code (lower case = unsigned).</summary>
public enum CompositeType : byte
{
    UChar8 = (byte)'c',
    Char8 = (byte)'C',
    UShort16 = (byte)'s',
    Short16 = (byte)'S',
    UInt32 = (byte)'i',
    Int32 = (byte)'I',
    ULong64 = (byte)'l',
    Long64 = (byte)'L',
    Float32 = (byte)'F',
    Double64 = (byte)'D',
    /// <summary>8-bit character ('a').</summary>
    Ascii8 = (byte)'a',
    /// <summary>Hollerit, 4 characters in 32 bits ('A').</summary>
    Hollerit = (byte)'A',
    /// <summary>Repeat count read from the data as int32 ('N').</summary>
    Count32 = (byte)'N',
    /// <summary>Repeat count read from the data as int16 ('n').</summary>
    Count16 = (byte)'n',
    /// <summary>Repeat count read from the data as int8 ('m').</summary>
    Count8 = (byte)'m',
}

/// <summary>One decoded COMPOSITE item: its type and its value (kept as raw bits).</summary>
public readonly record struct CompositeItem(CompositeType Type, ulong Bits)
{
    /// <summary>Bytes the item occupies in the packed data.</summary>
    public int Size => SizeOf(Type);

    internal static int SizeOf(CompositeType t) => t switch
    {
        CompositeType.UChar8 or CompositeType.Char8 or CompositeType.Ascii8 or CompositeType.Count8 => 1,
        CompositeType.UShort16 or CompositeType.Short16 or CompositeType.Count16 => 2,
        CompositeType.ULong64 or CompositeType.Long64 or CompositeType.Double64 => 8,
        _ => 4,
    };

    /// <summary>The value as a signed integer (sign-extended for signed types and counts).</summary>
    public long Int64 => Type switch
    {
        CompositeType.Char8 or CompositeType.Count8 => (sbyte)Bits,
        CompositeType.Short16 or CompositeType.Count16 => (short)Bits,
        CompositeType.Int32 or CompositeType.Count32 => (int)Bits,
        _ => (long)Bits,
    };

    /// <summary>The value as a double (floats converted, integers cast).</summary>
    public double Double => Type switch
    {
        CompositeType.Float32 => BitConverter.UInt32BitsToSingle((uint)Bits),
        CompositeType.Double64 => BitConverter.UInt64BitsToDouble(Bits),
        CompositeType.ULong64 => Bits,
        _ => Int64,
    };

    public static CompositeItem UChar(byte v) => new(CompositeType.UChar8, v);
    public static CompositeItem Char(sbyte v) => new(CompositeType.Char8, (byte)v);
    public static CompositeItem UShort(ushort v) => new(CompositeType.UShort16, v);
    public static CompositeItem Short(short v) => new(CompositeType.Short16, (ushort)v);
    public static CompositeItem UInt(uint v) => new(CompositeType.UInt32, v);
    public static CompositeItem Int(int v) => new(CompositeType.Int32, (uint)v);
    public static CompositeItem ULong(ulong v) => new(CompositeType.ULong64, v);
    public static CompositeItem Long(long v) => new(CompositeType.Long64, (ulong)v);
    public static CompositeItem Float(float v) => new(CompositeType.Float32, BitConverter.SingleToUInt32Bits(v));
    public static CompositeItem Double64(double v) => new(CompositeType.Double64, BitConverter.DoubleToUInt64Bits(v));
    /// <summary>An 'N' repeat count (int32 in the data).</summary>
    public static CompositeItem Count(int n) => new(CompositeType.Count32, (uint)n);

    /// <summary>The name JLab's library uses in dumps (UCHAR8, UINT32, ..., N, n, m).</summary>
    public string TypeName => Type switch
    {
        CompositeType.UChar8 => "UCHAR8",
        CompositeType.Char8 => "CHAR8",
        CompositeType.UShort16 => "USHORT16",
        CompositeType.Short16 => "SHORT16",
        CompositeType.UInt32 => "UINT32",
        CompositeType.Int32 => "INT32",
        CompositeType.ULong64 => "ULONG64",
        CompositeType.Long64 => "LONG64",
        CompositeType.Float32 => "FLOAT32",
        CompositeType.Double64 => "DOUBLE64",
        CompositeType.Ascii8 => "CHAR8",
        CompositeType.Hollerit => "HOLLERIT",
        CompositeType.Count32 => "N",
        CompositeType.Count16 => "n",
        _ => "m",
    };

    /// <summary>"TYPE:value" as in JLab's dumps.</summary>
    public override string ToString()
    {
        string v = Type switch
        {
            CompositeType.Float32 or CompositeType.Double64 => Double.ToString("R", CultureInfo.InvariantCulture),
            CompositeType.ULong64 => Bits.ToString(CultureInfo.InvariantCulture),
            _ => Int64.ToString(CultureInfo.InvariantCulture),
        };
        return $"{TypeName}:{v}";
    }
}

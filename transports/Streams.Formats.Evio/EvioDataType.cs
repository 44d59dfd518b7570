namespace Streams.Formats.Evio;

/// <summary>EVIO content type codes (the 6-bit type field of bank and segment headers).</summary>
public enum EvioDataType : byte
{
    Unknown32 = 0x0,
    UInt32 = 0x1,
    Float32 = 0x2,
    /// <summary>Array of NUL-terminated strings padded with 0x04 (see <see cref="EvioStrings"/>).</summary>
    CharStar8 = 0x3,
    Short16 = 0x4,
    UShort16 = 0x5,
    Char8 = 0x6,
    UChar8 = 0x7,
    Double64 = 0x8,
    Long64 = 0x9,
    ULong64 = 0xa,
    Int32 = 0xb,
    TagSegment = 0xc,
    /// <summary>Alias of <see cref="Segment"/> usable in the 4-bit tagsegment type field.</summary>
    AlsoSegment = 0xd,
    /// <summary>Alias of <see cref="Bank"/> usable in the 4-bit tagsegment type field.</summary>
    AlsoBank = 0xe,
    Composite = 0xf,
    Bank = 0x10,
    Segment = 0x20,
}

/// <summary>The three EVIO structure kinds.</summary>
public enum EvioStructureKind : byte
{
    /// <summary>Two header words: length, then tag(16) pad(2) type(6) num(8).</summary>
    Bank,
    /// <summary>One header word: tag(8) pad(2) type(6) length(16).</summary>
    Segment,
    /// <summary>One header word: tag(12) type(4) length(16); no padding field.</summary>
    TagSegment,
}

/// <summary>Helpers over <see cref="EvioDataType"/>.</summary>
public static class EvioDataTypes
{
    /// <summary>True when structures of this type hold child structures rather than data.</summary>
    public static bool IsContainer(this EvioDataType type) => type is EvioDataType.Bank or EvioDataType.AlsoBank
        or EvioDataType.Segment or EvioDataType.AlsoSegment or EvioDataType.TagSegment;

    /// <summary>The kind of the children of a container type (the 0xe/0xd aliases included).</summary>
    public static EvioStructureKind ChildKind(this EvioDataType type) => type switch
    {
        EvioDataType.Bank or EvioDataType.AlsoBank => EvioStructureKind.Bank,
        EvioDataType.Segment or EvioDataType.AlsoSegment => EvioStructureKind.Segment,
        EvioDataType.TagSegment => EvioStructureKind.TagSegment,
        _ => throw new ArgumentException($"{type} is not a container type", nameof(type)),
    };

    /// <summary>Size in bytes of one element (1 for strings and composite, which are byte streams).</summary>
    public static int ElementSize(this EvioDataType type) => type switch
    {
        EvioDataType.Double64 or EvioDataType.Long64 or EvioDataType.ULong64 => 8,
        EvioDataType.Short16 or EvioDataType.UShort16 => 2,
        EvioDataType.Char8 or EvioDataType.UChar8 or EvioDataType.CharStar8 or EvioDataType.Composite => 1,
        _ => 4,
    };

    /// <summary>True for 8- and 16-bit types, the only ones whose header padding field is meaningful.</summary>
    public static bool IsPadded(this EvioDataType type) => type is EvioDataType.Char8 or EvioDataType.UChar8
        or EvioDataType.Short16 or EvioDataType.UShort16;

    /// <summary>The name JLab's library prints for the type (UINT32, CHARSTAR8, ...).</summary>
    public static string JLabName(this EvioDataType type) => type switch
    {
        EvioDataType.Unknown32 => "UNKNOWN32",
        EvioDataType.UInt32 => "UINT32",
        EvioDataType.Float32 => "FLOAT32",
        EvioDataType.CharStar8 => "CHARSTAR8",
        EvioDataType.Short16 => "SHORT16",
        EvioDataType.UShort16 => "USHORT16",
        EvioDataType.Char8 => "CHAR8",
        EvioDataType.UChar8 => "UCHAR8",
        EvioDataType.Double64 => "DOUBLE64",
        EvioDataType.Long64 => "LONG64",
        EvioDataType.ULong64 => "ULONG64",
        EvioDataType.Int32 => "INT32",
        EvioDataType.TagSegment => "TAGSEGMENT",
        EvioDataType.AlsoSegment => "ALSOSEGMENT",
        EvioDataType.AlsoBank => "ALSOBANK",
        EvioDataType.Composite => "COMPOSITE",
        EvioDataType.Bank => "BANK",
        EvioDataType.Segment => "SEGMENT",
        _ => "UNKNOWN",
    };
}

namespace Streams.Formats.Hipo;

/// <summary>Fixed numbers of the HIPO 4 layout (see README and hipo-format.md).</summary>
internal static class Layout
{
    /// <summary>"HIPO" read as a little-endian int: the file header's first word.</summary>
    public const int FileId = 0x4F504948;

    /// <summary>Byte-order word of file and record headers; reads 0x0001dac0 when swapped.</summary>
    public const uint Magic = 0xc0da0100;

    public const uint MagicSwapped = 0x0001dac0;

    /// <summary>Words of a file or record header as written (readers honour a larger header length).</summary>
    public const int HeaderWords = 14;

    public const int HeaderBytes = HeaderWords * 4;

    /// <summary>Version 6 in the bit-info word, the only bits the C++ writer sets besides padding.</summary>
    public const int Version = 6;

    public const int EventHeaderBytes = 16;

    public const int StructureHeaderBytes = 8;

    /// <summary>"EVNT" as a little-endian int.</summary>
    public const int EventMagic = 0x544E5645;

    public const byte BankType = 11;

    public const byte StringType = 6;

    /// <summary>Dictionary events: (120,1) JSON schema, (120,2) compact schema.</summary>
    public const int DictionaryGroup = 120;

    /// <summary>User configuration events in the dictionary record: (32555,1) key, (32555,2) value.</summary>
    public const int UserConfigGroup = 32555;

    /// <summary>LZ4 expands at most about 255:1; a larger claimed size is a lie, refused before allocating.</summary>
    public const int Lz4MaxRatio = 255;

    /// <summary>The bank of the trailing index record, one row per data record.</summary>
    public static Schema FileIndex { get; } =
        Schema.Parse("{file::index/32111/1}{position/L,length/I,entries/I,userWordOne/L,userWordTwo/L}");
}

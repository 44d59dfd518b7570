namespace Streams.Formats.Evio;

/// <summary>Compression of an EVIO 6 record (bits 28-31 of record header word 10).</summary>
public enum EvioCompression : byte
{
    None = 0,
    /// <summary>One raw LZ4 block (no frame, no size prefix).</summary>
    Lz4 = 1,
    /// <summary>LZ4 high compression; same block format as <see cref="Lz4"/>.</summary>
    Lz4Best = 2,
    Gzip = 3,
}

/// <summary>The 14-word EVIO 6 file header.</summary>
public sealed record EvioFileHeader
{
    public const uint EvioId = 0x4556494f;
    public const uint HipoId = 0x4F504948;

    public uint FileId { get; init; }
    public uint FileNumber { get; init; }
    public uint HeaderWords { get; init; }
    /// <summary>Number of data records (no user-header record, no trailer).</summary>
    public uint RecordCount { get; init; }
    public uint IndexBytes { get; init; }
    public uint BitInfo { get; init; }
    /// <summary>User header length in bytes, unpadded.</summary>
    public uint UserHeaderBytes { get; init; }
    public ulong UserRegister { get; init; }
    /// <summary>Byte offset of the trailer record; 0 when none.</summary>
    public ulong TrailerPosition { get; init; }
    public uint UserInt1 { get; init; }
    public uint UserInt2 { get; init; }

    public int Version => (int)(BitInfo & 0xff);
    /// <summary>File bit 8: the user header holds a dictionary.</summary>
    public bool HasDictionary => (BitInfo & (1u << 8)) != 0;
    /// <summary>File bit 9 (in the file header; in a record header bit 9 means "last record").</summary>
    public bool HasFirstEvent => (BitInfo & (1u << 9)) != 0;
    /// <summary>File bit 10: a trailer with a record index exists.</summary>
    public bool HasTrailerWithIndex => (BitInfo & (1u << 10)) != 0;
    public int UserHeaderPadding => (int)((BitInfo >> 20) & 3);
    /// <summary>1 evio file, 2 evio extended, 5 HIPO file, 6 HIPO extended.</summary>
    public int HeaderType => (int)(BitInfo >> 28);
}

/// <summary>
/// An EVIO 6 record header (14 words) or an EVIO 4 block header (8 words; then the v6-only fields are 0).
/// </summary>
public readonly record struct EvioRecordHeader
{
    /// <summary>Byte offset of the header in the file.</summary>
    public long Offset { get; init; }
    public uint LengthWords { get; init; }
    public uint Number { get; init; }
    public uint HeaderWords { get; init; }
    public uint EventCount { get; init; }
    /// <summary>v6: index array length in bytes (4 per event). v4: reserved word 1 (source id).</summary>
    public uint IndexBytes { get; init; }
    public uint BitInfo { get; init; }
    public uint UserHeaderBytes { get; init; }
    /// <summary>Uncompressed length of the events only, unpadded.</summary>
    public uint DataBytes { get; init; }
    /// <summary>Word 10: compression type (bits 28-31) and compressed length in words.</summary>
    public uint CompressionWord { get; init; }
    public ulong UserRegister1 { get; init; }
    public ulong UserRegister2 { get; init; }

    public long LengthBytes => 4L * LengthWords;
    public int Version => (int)(BitInfo & 0xff);
    public bool HasDictionary => (BitInfo & (1u << 8)) != 0;
    public bool IsLastRecord => (BitInfo & (1u << 9)) != 0;
    /// <summary>Bits 10-13: 0 ROC raw, 1 physics, ..., 5 control, 8 ROC raw streaming, 9 physics streaming.</summary>
    public int EventType => (int)((BitInfo >> 10) & 0xf);
    public bool HasFirstEvent => (BitInfo & (1u << 14)) != 0;
    public int UserHeaderPadding => (int)((BitInfo >> 20) & 3);
    public int DataPadding => (int)((BitInfo >> 22) & 3);
    public int CompressedPadding => (int)((BitInfo >> 24) & 3);
    /// <summary>0 evio record, 3 evio trailer, 4 HIPO record, 7 HIPO trailer.</summary>
    public int HeaderType => (int)(BitInfo >> 28);
    public bool IsTrailer => Version >= 6 && HeaderType is 3 or 7;
    public EvioCompression Compression => (EvioCompression)(CompressionWord >> 28);
    /// <summary>Exact compressed byte count: 4 * words - compressed padding.</summary>
    public long CompressedBytes => 4L * (CompressionWord & 0x0fffffff) - CompressedPadding;
}

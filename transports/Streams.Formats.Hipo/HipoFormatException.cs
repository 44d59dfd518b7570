namespace Streams.Formats.Hipo;

/// <summary>
/// Thrown when HIPO bytes are malformed: a bad magic word, a length that points past the end of
/// the file or of its record, a count that does not fit, a bad schema string. <see cref="Offset"/>
/// is the byte offset in the file (or in the buffer given to the reader) where the fault was
/// found; faults inside a decompressed record report the record's offset and say, in the
/// message, where in the decompressed data they are.
/// </summary>
public sealed class HipoFormatException : Exception
{
    /// <summary>Byte offset of the fault in the input, or -1 when none applies.</summary>
    public long Offset { get; } = -1;

    public HipoFormatException() : base("malformed HIPO data") { }

    public HipoFormatException(string message) : base(message) { }

    public HipoFormatException(string message, Exception innerException) : base(message, innerException) { }

    public HipoFormatException(string message, long offset)
        : base(offset >= 0 ? $"{message} (at byte {offset})" : message) => Offset = offset;

    public HipoFormatException(string message, long offset, Exception innerException)
        : base(offset >= 0 ? $"{message} (at byte {offset})" : message, innerException) => Offset = offset;
}

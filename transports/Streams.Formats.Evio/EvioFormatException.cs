namespace Streams.Formats.Evio;

/// <summary>
/// Thrown for every malformed EVIO input: a bad magic word, a length that points past the end of
/// its container, a compressed record that does not inflate to its declared size, and so on.
/// <see cref="Offset"/> is the byte offset in the file (or buffer) where the fault was found; for
/// faults inside a compressed record it is the offset of that record's header and
/// <see cref="DecompressedOffset"/> tells where inside the inflated record.
/// </summary>
public sealed class EvioFormatException : Exception
{
    public EvioFormatException() : base("malformed EVIO data") { }

    public EvioFormatException(string message) : base(message) { }

    public EvioFormatException(string message, Exception inner) : base(message, inner) { }

    public EvioFormatException(string message, long offset, long decompressedOffset = -1, Exception? inner = null)
        : base(Describe(message, offset, decompressedOffset), inner)
    {
        Offset = offset;
        DecompressedOffset = decompressedOffset;
    }

    /// <summary>Byte offset in the file/buffer (record header offset for compressed records).</summary>
    public long Offset { get; } = -1;

    /// <summary>Offset inside the inflated record, or -1 when the fault is not in compressed data.</summary>
    public long DecompressedOffset { get; } = -1;

    private static string Describe(string message, long offset, long inner) =>
        inner < 0
            ? $"{message} (at byte {offset})"
            : $"{message} (at byte {inner} of the decompressed record whose header is at byte {offset})";
}

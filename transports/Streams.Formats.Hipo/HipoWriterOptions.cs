namespace Streams.Formats.Hipo;

/// <summary>How <see cref="HipoWriter"/> cuts events into records.</summary>
public sealed class HipoWriterOptions
{
    /// <summary>A record is closed when it holds this many events (C++ default 100000).</summary>
    public int MaxEventsPerRecord { get; init; } = 100_000;

    /// <summary>A record is closed before its events would pass this many bytes (C++ default 8 MiB).</summary>
    public int MaxRecordBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>LZ4-compress records (type 1, as the C++ writer always does); false stores them plain (type 0).</summary>
    public bool Compress { get; init; } = true;
}

using Streams.Transports.Files;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.Tests;

/// <summary>The stream contract (<see cref="StreamContractTests"/>) for the staged file an Arrow sink writes through.</summary>
public sealed class StagedFileStreamContract : StreamContractTests, IDisposable
{
    private readonly TempDir _dir = new();
    private int _made;

    /// <summary>Arrow's file writer asks the position of a file it writes in order; the stream seeks only there.</summary>
    protected override bool SeeksOnlyToItsPosition => true;

    protected override Stream Create() => new StagedFileStream(_dir.File($"staged-{++_made}.arrow"));

    protected override void Settle(Stream stream) => ((StagedFileStream)stream).Commit();

    protected override byte[]? Written(Stream stream)
    {
        using var file = new FileStream(_dir.File($"staged-{_made}.arrow"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var copy = new MemoryStream();
        file.CopyTo(copy);
        return copy.ToArray();
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>The stream contract for the ZeroMQ framing's byte counter (it keeps no bytes).</summary>
public sealed class CountingStreamContract : StreamContractTests
{
    protected override Stream Create() => new CountingStream();

    protected override byte[]? Written(Stream stream) => null;
}

/// <summary>The stream contract for the ZeroMQ framing's pooled buffer.</summary>
public sealed class PooledStreamContract : StreamContractTests
{
    protected override Stream Create() => new PooledStream(16);

    protected override byte[]? Written(Stream stream)
    {
        var s = (PooledStream)stream;
        var n = (int)s.Length;
        var buffer = s.Detach();
        var bytes = buffer.AsSpan(0, n).ToArray();
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        return bytes;
    }
}

namespace Streams.Transports.ZeroMq.Framing;

/// <summary>A write-only stream that keeps only the number of bytes written (to measure an encoding before making it).</summary>
internal sealed class CountingStream : WriteOnlyStream
{
    private long _length;

    public override long Length => _length;

    protected override void WriteCore(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
}

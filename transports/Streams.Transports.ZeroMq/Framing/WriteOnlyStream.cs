namespace Streams.Transports.ZeroMq.Framing;

/// <summary>
/// A forward-only, write-only stream (what the Arrow IPC writer needs): subclasses take the bytes in
/// <see cref="WriteCore"/>; every write ends there, and once disposed the stream takes none.
/// </summary>
internal abstract class WriteOnlyStream : Stream
{
    private bool _disposed;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Position { get => Length; set => throw new NotSupportedException(); }

    public sealed override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteCore(buffer);
    }

    /// <summary>Takes the bytes of one write (the stream is not disposed).</summary>
    protected abstract void WriteCore(ReadOnlySpan<byte> buffer);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }
}

using System.Buffers;

namespace Streams.Transports.ZeroMq.Framing;

/// <summary>A write-only stream over a buffer rented from <see cref="ArrayPool{T}.Shared"/> (no allocation per batch).</summary>
internal sealed class PooledStream(int capacity) : WriteOnlyStream
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));
    private int _length;

    /// <summary>The buffer (the first <see cref="Length"/> bytes are written); the caller now owns it and returns it to the pool.</summary>
    public byte[] Detach()
    {
        var b = _buffer;
        _buffer = [];
        return b;
    }

    public override long Length => _length;

    protected override void WriteCore(ReadOnlySpan<byte> buffer)
    {
        if (_length + buffer.Length > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + buffer.Length));
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        buffer.CopyTo(_buffer.AsSpan(_length));
        _length += buffer.Length;
    }

    protected override void Dispose(bool disposing)
    {
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        base.Dispose(disposing);
    }
}

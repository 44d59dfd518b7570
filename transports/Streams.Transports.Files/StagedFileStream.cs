using System.Buffers;

namespace Streams.Transports.Files;

/// <summary>
/// A file written in units that either reach the file whole or not at all: writes are staged in memory until
/// <see cref="Commit"/>, which writes them with one call; when that fails (disk full, I/O error) the file is cut back
/// to the end of the last committed unit, so it never ends in half a record batch. Arrow's file writer takes block
/// offsets from <see cref="Position"/>, which counts staged bytes, so a rolled-back batch is simply never listed.
/// Written here because no stream in the BCL or on the package feed offers commit/rollback over a file; BufferedStream
/// flushes whenever its buffer fills and cannot take bytes back.
/// </summary>
internal sealed class StagedFileStream : Stream
{
    private readonly FileStream _file;
    private byte[] _staged = ArrayPool<byte>.Shared.Rent(1 << 16);
    private int _length;
    private long _committed;
    private bool _disposed;

    public StagedFileStream(string path)
    {
        // No FileStream buffer: a write either reaches the kernel in Commit or fails there, and nothing lingers.
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
    }

    /// <summary>Bytes in the file that belong to committed units.</summary>
    public long Committed => _committed;

    public override bool CanRead => false;

    /// <summary>True: Arrow's file writer asks the position of each block. The file is written in order, so it seeks only to where it is.</summary>
    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _committed + _length;
        }
    }

    public override long Position
    {
        get => Length;
        set
        {
            if (value != Position) throw new NotSupportedException("a staged file is written in order");
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_length + buffer.Length > _staged.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(checked((int)Math.Max(_staged.Length * 2L, _length + (long)buffer.Length)));
            _staged.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_staged);
            _staged = bigger;
        }

        buffer.CopyTo(_staged.AsSpan(_length));
        _length += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Writes the staged bytes to the file; on failure cuts the file back and rethrows.</summary>
    public void Commit(bool flushToDisk = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_length == 0 && !flushToDisk) return;
        try
        {
            _file.Write(_staged, 0, _length);
            if (flushToDisk) _file.Flush(flushToDisk: true);
            _committed += _length;
        }
        catch
        {
            Rollback();
            throw;
        }
        finally
        {
            _length = 0;
        }
    }

    /// <summary>Drops the staged bytes and whatever part of them reached the file.</summary>
    public void Rollback()
    {
        _length = 0;
        try
        {
            _file.SetLength(_committed);
            _file.Position = _committed;
        }
        catch (IOException)
        {
            // The file could not be cut back (the device is gone): the caller reports the file as unusable.
        }
    }

    public override void Flush()
    {
        // Arrow's writer flushes after each message; units are committed explicitly instead.
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Seeks to the current position (the only place a file written in order can be); elsewhere throws <see cref="NotSupportedException"/>.</summary>
    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        Position = target;
        return target;
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _file.Dispose();
            if (_staged.Length > 0) ArrayPool<byte>.Shared.Return(_staged);
            _staged = [];
        }

        base.Dispose(disposing);
    }
}

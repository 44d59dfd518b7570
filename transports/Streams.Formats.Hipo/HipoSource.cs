using Microsoft.Win32.SafeHandles;

namespace Streams.Formats.Hipo;

/// <summary>Where the reader's bytes come from: memory (sliced, never copied) or a file (read per request).</summary>
internal abstract class HipoSource
{
    public abstract long Length { get; }

    /// <summary>
    /// <paramref name="length"/> bytes at <paramref name="offset"/>. Callers have checked the
    /// range against <see cref="Length"/>, so the buffer is never larger than the input.
    /// </summary>
    public abstract ReadOnlyMemory<byte> Read(long offset, int length);

    /// <summary>Releases a file handle; nothing for memory.</summary>
    public abstract void Close();
}

internal sealed class MemorySource(ReadOnlyMemory<byte> bytes) : HipoSource
{
    public override long Length => bytes.Length;

    public override ReadOnlyMemory<byte> Read(long offset, int length) => bytes.Slice((int)offset, length);

    public override void Close() { }
}

internal sealed class FileSource : HipoSource
{
    private readonly SafeFileHandle _handle;
    private readonly string _path;

    public FileSource(string path)
    {
        _path = path;
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        Length = RandomAccess.GetLength(_handle);
    }

    public override long Length { get; }

    public override ReadOnlyMemory<byte> Read(long offset, int length)
    {
        var buffer = new byte[length];
        int done = 0;
        while (done < length)
        {
            int n = RandomAccess.Read(_handle, buffer.AsSpan(done), offset + done);
            if (n == 0)
            {
                // The file shrank under us: as malformed as a lying length.
                throw new HipoFormatException($"{_path} ended while reading {length} bytes", offset + done);
            }
            done += n;
        }
        return buffer;
    }

    public override void Close() => _handle.Dispose();
}

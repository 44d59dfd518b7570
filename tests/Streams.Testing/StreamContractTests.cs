namespace Streams.TestKit;

/// <summary>
/// The contract of a <see cref="Stream"/> subclass, as it declares itself (derive once per subclass): what
/// <see cref="Stream.CanRead"/>, <see cref="Stream.CanWrite"/> and <see cref="Stream.CanSeek"/> say is so (an
/// unsupported operation throws <see cref="NotSupportedException"/>, a supported one works), bytes written come back
/// whole and in order, and a disposed stream throws <see cref="ObjectDisposedException"/> for what it supported.
/// </summary>
public abstract class StreamContractTests
{
    private static readonly byte[] Bytes = [.. Enumerable.Range(0, 3000).Select(i => (byte)(i * 7))];

    /// <summary>A fresh stream under test (readable streams hold <see cref="ReadableContent"/>).</summary>
    protected abstract Stream Create();

    /// <summary>What a stream that can be read but not written holds when made by <see cref="Create"/>.</summary>
    protected virtual byte[] ReadableContent => [];

    /// <summary>
    /// True for a stream that declares itself seekable only to where it is (the position is asked, as Arrow's file
    /// writer does, and the stream is written in order); false: it seeks anywhere in it.
    /// </summary>
    protected virtual bool SeeksOnlyToItsPosition => false;

    /// <summary>
    /// The bytes <paramref name="stream"/> holds after the writes (a file's contents, a buffer), read by the means
    /// the stream offers besides itself; null when it keeps no bytes (it counts them, say).
    /// </summary>
    protected abstract byte[]? Written(Stream stream);

    /// <summary>Makes the writes land where <see cref="Written"/> reads them (default: <see cref="Stream.Flush"/>).</summary>
    protected virtual void Settle(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Flush();
    }

    [Fact]
    public void What_it_cannot_do_throws_NotSupportedException()
    {
        using var s = Create();
        var buffer = new byte[16];
        if (!s.CanRead)
        {
            Assert.Throws<NotSupportedException>(() => s.Read(buffer, 0, buffer.Length));
            Assert.Throws<NotSupportedException>(() => s.ReadByte());
        }

        if (!s.CanWrite)
        {
            Assert.Throws<NotSupportedException>(() => s.Write(buffer, 0, buffer.Length));
            Assert.Throws<NotSupportedException>(() => s.WriteByte(1));
        }

        if (!s.CanSeek)
        {
            Assert.Throws<NotSupportedException>(() => s.Seek(0, SeekOrigin.Begin));
            Assert.Throws<NotSupportedException>(() => s.Position = 1);
            Assert.Throws<NotSupportedException>(() => s.SetLength(0));
        }
    }

    [Fact]
    public void What_it_can_seek_to_it_reaches()
    {
        using var s = Create();
        if (!s.CanSeek) return;
        if (s.CanWrite) s.Write(Bytes, 0, 100);
        var here = s.Position;
        Assert.Equal(here, s.Seek(0, SeekOrigin.Current));
        Assert.Equal(here, s.Seek(here, SeekOrigin.Begin));
        Assert.Equal(here, s.Seek(here - s.Length, SeekOrigin.End));
        Assert.InRange(here, 0, s.Length);
        if (SeeksOnlyToItsPosition) return;
        Assert.Equal(0, s.Seek(0, SeekOrigin.Begin));
        Assert.Equal(0, s.Position);
    }

    [Fact]
    public async Task Bytes_written_in_any_way_come_back_whole_and_in_order()
    {
        using var s = Create();
        if (!s.CanWrite)
        {
            if (s.CanRead) Assert.Equal(ReadableContent, ReadToEnd(s));
            return;
        }

        s.Write(Bytes, 0, 1000);
        s.Write(Bytes.AsSpan(1000, 1000));
        s.WriteByte(Bytes[2000]);
        await s.WriteAsync(Bytes.AsMemory(2001, 499));
#pragma warning disable CA1835 // the array overload is part of the contract too
        await s.WriteAsync(Bytes, 2500, 500);
#pragma warning restore CA1835
        if (s.CanSeek)
        {
            Assert.Equal(Bytes.Length, s.Length);
            Assert.Equal(Bytes.Length, s.Position);
        }

        Settle(s);
        if (s.CanRead && s.CanSeek && !SeeksOnlyToItsPosition)
        {
            s.Seek(0, SeekOrigin.Begin);
            Assert.Equal(Bytes, ReadToEnd(s));
        }

        if (Written(s) is { } held) Assert.Equal(Bytes, held);
    }

    [Fact]
    public void A_disposed_stream_throws_ObjectDisposedException_for_what_it_could_do()
    {
        var s = Create();
        var (read, write, seek) = (s.CanRead, s.CanWrite, s.CanSeek);
        s.Dispose();
        s.Dispose(); // twice is allowed
        var buffer = new byte[16];
        if (read) Assert.Throws<ObjectDisposedException>(() => s.Read(buffer, 0, buffer.Length));
        if (write)
        {
            Assert.Throws<ObjectDisposedException>(() => s.Write(buffer, 0, buffer.Length));
            Assert.Throws<ObjectDisposedException>(() => s.Write(buffer.AsSpan()));
        }

        if (seek)
        {
            Assert.Throws<ObjectDisposedException>(() => s.Seek(0, SeekOrigin.Current));
            Assert.Throws<ObjectDisposedException>(() => s.Length);
        }
    }

    private static byte[] ReadToEnd(Stream s)
    {
        using var copy = new MemoryStream();
        s.CopyTo(copy);
        return copy.ToArray();
    }
}

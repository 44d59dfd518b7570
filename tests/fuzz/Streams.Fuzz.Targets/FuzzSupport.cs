using System.Buffers.Binary;

namespace Streams.Fuzz.Targets;

/// <summary>A broken invariant: the fuzzer reports it as a crash (the input is saved), the corpus test fails on it.</summary>
public sealed class FuzzFindingException : Exception
{
    public FuzzFindingException(string message)
        : base(message)
    {
    }

    public FuzzFindingException()
    {
    }

    public FuzzFindingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Helpers shared by the harnesses: cutting one input into several messages, and the checks.</summary>
public static class FuzzSupport
{
    /// <summary>
    /// Cuts <paramref name="data"/> into chunks, each a u16 little-endian length then that many bytes (the last one
    /// takes what is left when the length runs past the end). Any input cuts somehow, so every mutation is a test.
    /// </summary>
    public static List<byte[]> Split(ReadOnlySpan<byte> data, int maxChunks = 256)
    {
        var chunks = new List<byte[]>();
        while (data.Length > 0 && chunks.Count < maxChunks)
        {
            if (data.Length < 2)
            {
                chunks.Add(data.ToArray());
                break;
            }

            var len = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(data), data.Length - 2);
            chunks.Add(data.Slice(2, len).ToArray());
            data = data[(2 + len)..];
        }

        return chunks;
    }

    /// <summary>The inverse of <see cref="Split"/>, for writing seeds.</summary>
    public static byte[] Join(IEnumerable<byte[]> chunks)
    {
        using var ms = new MemoryStream();
        Span<byte> len = stackalloc byte[2];
        foreach (var c in chunks)
        {
            if (c.Length > ushort.MaxValue) throw new ArgumentException("a chunk is at most 65535 bytes", nameof(chunks));
            BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)c.Length);
            ms.Write(len);
            ms.Write(c);
        }

        return ms.ToArray();
    }

    public static void Check(bool condition, string what)
    {
        if (!condition) throw new FuzzFindingException(what);
    }

    /// <summary>Runs <paramref name="body"/> and fails when it allocated more than <paramref name="limitBytes"/> on this thread.</summary>
    public static void WithAllocationLimit(long limitBytes, Action body)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        body();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Check(allocated <= limitBytes, $"over-allocation: {allocated:N0} bytes allocated for one input (limit {limitBytes:N0})");
    }
}

using System.Buffers.Binary;
using System.Diagnostics;

namespace Streams.Formats.Evio.Tests;

/// <summary>
/// Every damaged input either reads (a cut at a record boundary is still a valid file) or throws
/// <see cref="EvioFormatException"/> with an offset inside the input: never another exception, never
/// a hang, never a large allocation.
/// </summary>
public class MalformedInputTests
{
    private const long AllocationBound = 256 * 1024;

    [Theory]
    [MemberData(nameof(Fixtures.All), MemberType = typeof(Fixtures))]
    public void Truncated_at_every_byte_gives_a_format_exception_or_a_valid_prefix(string name)
    {
        var bytes = Fixtures.Bytes(name);
        int thrown = 0;
        for (int cut = 0; cut < bytes.Length; cut++)
            if (Check(bytes.AsMemory(0, cut), $"{name} cut at {cut}")) thrown++;
        // Most cuts land inside a header or a structure.
        Assert.True(thrown > bytes.Length * 9 / 10, $"only {thrown} of {bytes.Length} truncations were detected");
    }

    [Theory]
    [MemberData(nameof(Fixtures.All), MemberType = typeof(Fixtures))]
    public void Every_word_set_to_lying_values_gives_a_format_exception_or_a_valid_file(string name)
    {
        var original = Fixtures.Bytes(name);
        bool be = new EvioReader(original).IsBigEndian;
        var copy = new byte[original.Length];
        for (int at = 0; at + 4 <= original.Length; at += 4)
        {
            uint word = be ? BinaryPrimitives.ReadUInt32BigEndian(original.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(original.AsSpan(at));
            uint remainingWords = (uint)(original.Length - at) / 4;
            uint[] lies =
            [
                0, 0xffffffff, 0x7fffffff, 0x80000000, remainingWords, remainingWords + 1, word + 1, word - 1,
                word | 0xffff, word & 0xffff0000, (word & 0xffff0000) | ((remainingWords + 1) & 0xffff), word | 0xffff0000,
            ];
            foreach (var lie in lies)
            {
                original.CopyTo(copy, 0);
                if (be) BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(at), lie);
                else BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), lie);
                Check(copy, $"{name} word at {at} set to 0x{lie:x8}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures.All), MemberType = typeof(Fixtures))]
    public void Every_single_byte_flipped_gives_a_format_exception_or_a_valid_file(string name)
    {
        var original = Fixtures.Bytes(name);
        var copy = new byte[original.Length];
        for (int at = 0; at < original.Length; at++)
        {
            original.CopyTo(copy, 0);
            copy[at] ^= 0xff;
            Check(copy, $"{name} byte {at} inverted");
        }
    }

    [Fact]
    public void Lz4_record_claiming_a_huge_uncompressed_size_is_refused_without_allocating_it()
    {
        var bytes = Fixtures.Bytes("evio6-lz4.evio");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(56 + 32), 0xfffffff0); // record 1, word 9
        var e = Assert.Throws<EvioFormatException>(() => Walker.WalkAll(bytes));
        Assert.Equal(56 + 32, e.Offset); // the declared size (word 9) is impossible for the compressed bytes
        Assert.Contains("uncompressed size", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_and_tiny_inputs_throw_with_offset()
    {
        Assert.Equal(0, Assert.Throws<EvioFormatException>(() => new EvioReader(Array.Empty<byte>())).Offset);
        Assert.Equal(0, Assert.Throws<EvioFormatException>(() => new EvioReader(new byte[31])).Offset);
        Assert.Equal(28, Assert.Throws<EvioFormatException>(() => new EvioReader(new byte[64])).Offset);
        var path = Path.GetTempFileName();
        try { Assert.Throws<EvioFormatException>(() => EvioFile.Open(path)); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Bank_length_past_its_parent_names_the_bank_offset()
    {
        var bytes = Fixtures.Bytes("evio6-plain.evio");
        int firstChild = 56 + 56 + 20 + 8; // file header, record header, index, root bank header
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(firstChild), 5000);
        var e = Assert.Throws<EvioFormatException>(() => Walker.WalkAll(bytes));
        Assert.Equal(firstChild, e.Offset);
    }

    /// <summary>Walks everything; returns true when an <see cref="EvioFormatException"/> was thrown.</summary>
    internal static bool Check(ReadOnlyMemory<byte> data, string what)
    {
        var sw = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool thrown = false;
        try
        {
            Walker.WalkAll(data);
        }
        catch (EvioFormatException e)
        {
            thrown = true;
            Assert.True(e.Offset >= 0 && e.Offset <= data.Length, $"{what}: offset {e.Offset} outside the input ({e.Message})");
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} instead of EvioFormatException: {e}");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < AllocationBound, $"{what}: allocated {allocated} bytes");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"{what}: took {sw.Elapsed}");
        return thrown;
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using CsCheck;

namespace Streams.Formats.Hipo.Tests;

/// <summary>
/// Truncated and lying inputs: always a <see cref="HipoFormatException"/> carrying an offset
/// inside the input, never a hang, never a large allocation.
/// </summary>
public sealed class MalformedTests
{
    private static readonly byte[] Fixture = Fixtures.Bytes("hipo4.hipo");

    /// <summary>Record headers of hipo4.hipo: dictionary, three data records, index record.</summary>
    private static readonly int[] RecordPositions = [56, 1000, 1904, 2844, 3404];

    private const long AllocationBound = 2 * 1024 * 1024;

    /// <summary>Opens the bytes and touches every value of every bank of every event.</summary>
    private static void ReadAll(byte[] bytes)
    {
        var reader = new HipoReader(bytes);
        foreach (HipoEvent e in reader.ReadEvents())
        {
            foreach (Schema s in reader.Schemas)
            {
                Bank b = e.GetBank(s);
                for (int r = 0; r < b.Rows; r++)
                {
                    for (int c = 0; c < s.Entries.Count; c++)
                    {
                        _ = b.GetAsDouble(c, r);
                    }
                }
            }
        }
    }

    /// <summary>Runs <see cref="ReadAll"/>; returns the exception, or null when the bytes were accepted.</summary>
    private static HipoFormatException? Attempt(byte[] bytes, string what)
    {
        ReadAll(Fixture); // warm up the JIT so its allocations do not count
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        HipoFormatException? caught = null;
        try
        {
            ReadAll(bytes);
        }
        catch (HipoFormatException ex)
        {
            caught = ex;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{what}: took {clock.Elapsed}");
        Assert.True(allocated < AllocationBound + (4L * bytes.Length), $"{what}: allocated {allocated} bytes");
        if (caught is not null)
        {
            Assert.InRange(caught.Offset, 0, bytes.Length);
            Assert.Contains("at byte", caught.Message, StringComparison.Ordinal);
        }
        return caught;
    }

    private static void AssertRefused(byte[] bytes, string what) =>
        Assert.True(Attempt(bytes, what) is not null, $"{what}: accepted");

    [Fact]
    public void The_intact_fixture_passes_the_same_checks()
    {
        Assert.Null(Attempt(Fixture, "intact"));
    }

    [Fact]
    public void Every_truncation_is_refused()
    {
        for (int length = 0; length < Fixture.Length; length++)
        {
            AssertRefused(Fixture[..length], $"truncated to {length}");
        }
    }

    public static TheoryData<string, int, bool> LengthFields()
    {
        var data = new TheoryData<string, int, bool>
        {
            { "file header length", 8, false },
            { "file user header (dictionary) length", 24, false },
            { "file trailer position", 40, true },
        };
        foreach (int p in RecordPositions)
        {
            data.Add($"record@{p} length", p, false);
            data.Add($"record@{p} header length", p + 8, false);
            data.Add($"record@{p} event count", p + 12, false);
            data.Add($"record@{p} user header length", p + 24, false);
            data.Add($"record@{p} uncompressed length", p + 32, false);
            data.Add($"record@{p} compression word", p + 36, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(LengthFields))]
    public void Lengths_of_zero_past_the_end_and_all_ones_are_refused(string field, int offset, bool wide)
    {
        uint original = BinaryPrimitives.ReadUInt32LittleEndian(Fixture.AsSpan(offset));
        uint[] lies = [0, (uint)Fixture.Length + 4, (uint)(Fixture.Length / 4) + 1, 0x7FFFFFFF, 0xFFFFFFFF, original + 1, original - 1];
        // A zero trailer position is the legitimate "never patched" case, read by a scan (below).
        foreach (uint lie in lies.Where(v => v != original && !(wide && v == 0)))
        {
            byte[] bytes = (byte[])Fixture.Clone();
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), lie);
            if (wide && lie == 0xFFFFFFFF)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset + 4), lie);
            }
            AssertRefused(bytes, $"{field} = {lie}");
        }
    }

    [Fact]
    public void Bad_magic_words_are_refused_with_their_offset()
    {
        foreach (int offset in (int[])[0, 28, .. RecordPositions.Select(p => p + 28)])
        {
            byte[] bytes = (byte[])Fixture.Clone();
            bytes[offset] ^= 0x40;
            HipoFormatException? ex = Attempt(bytes, $"magic at {offset}");
            Assert.NotNull(ex);
            Assert.Equal(offset, ex.Offset);
        }
    }

    /// <summary>The fixture rewritten with plain records, so event fields can be lied about directly.</summary>
    private static byte[] PlainCopy(out HipoReader reader)
    {
        reader = new HipoReader(Fixture);
        using var ms = new MemoryStream();
        using (var w = new HipoWriter(ms, reader.Schemas, new HipoWriterOptions { Compress = false, MaxEventsPerRecord = 8 }, leaveOpen: true))
        {
            foreach (HipoEvent e in reader.ReadEvents())
            {
                w.AddEvent(e);
            }
        }
        byte[] bytes = ms.ToArray();
        reader = new HipoReader(bytes);
        return bytes;
    }

    [Fact]
    public void Lying_event_index_entries_event_sizes_and_structure_lengths_are_refused()
    {
        byte[] plain = PlainCopy(out HipoReader reader);
        int checkedFields = 0;
        foreach (HipoRecordInfo rec in reader.Records)
        {
            int indexAt = (int)rec.Position + 56;
            int eventAt = indexAt + (4 * rec.EventCount);
            for (int k = 0; k < rec.EventCount; k++)
            {
                int len = BinaryPrimitives.ReadInt32LittleEndian(plain.AsSpan(indexAt + (4 * k)));
                foreach (uint lie in (uint[])[0, 15, (uint)plain.Length, 0xFFFFFFFF])
                {
                    AssertRefused(Patched(plain, indexAt + (4 * k), lie), $"record@{rec.Position} index[{k}] = {lie}");
                    // The event's own size word: under 16, past its slot, all ones.
                    AssertRefused(Patched(plain, eventAt + 4, lie), $"event@{eventAt} size = {lie}");
                    checkedFields += 2;
                }
                // The first structure's length: past the event end.
                AssertRefused(Patched(plain, eventAt + 16 + 4, (uint)len), $"event@{eventAt} structure length");
                AssertRefused(Patched(plain, eventAt + 16 + 4, 0x00FFFFFF), $"event@{eventAt} structure length 2^24-1");
                eventAt += len;
            }
        }
        Assert.True(checkedFields >= 160);
    }

    [Fact]
    public void Zero_structure_lengths_never_escape_as_other_exceptions()
    {
        byte[] plain = PlainCopy(out HipoReader reader);
        foreach (HipoRecordInfo rec in reader.Records)
        {
            int eventAt = (int)rec.Position + 56 + (4 * rec.EventCount);
            for (int k = 0; k < rec.EventCount; k++)
            {
                // The walk then reads bank data as structure headers: refused or read, no crash.
                _ = Attempt(Patched(plain, eventAt + 16 + 4, 0), $"event@{eventAt} structure length 0");
                eventAt += BinaryPrimitives.ReadInt32LittleEndian(plain.AsSpan(eventAt + 4));
            }
        }
    }

    [Fact]
    public void Random_corruption_gives_only_hipo_format_exceptions()
    {
        byte[] plain = PlainCopy(out _);
        foreach (byte[] source in (byte[][])[Fixture, plain])
        {
            Gen.Select(Gen.Int[0, source.Length - 1].Array[1, 6], Gen.Byte.Array[6])
               .Sample((positions, values) =>
               {
                   byte[] bytes = (byte[])source.Clone();
                   for (int i = 0; i < positions.Length; i++)
                   {
                       bytes[positions[i]] = values[i];
                   }
                   _ = Attempt(bytes, $"bytes at {string.Join(',', positions)}");
               }, iter: 1500);
        }
    }

    [Fact]
    public void An_unpatched_trailer_position_still_hides_the_index_record()
    {
        byte[] bytes = (byte[])Fixture.Clone();
        bytes.AsSpan(40, 8).Clear();
        var reader = new HipoReader(bytes);
        Assert.False(reader.HasIndex);
        Assert.Equal(20, reader.EventCount);
        Assert.Equal([1000L, 1904, 2844], reader.Records.Select(r => r.Position));
    }

    private static byte[] Patched(byte[] source, int offset, uint value)
    {
        byte[] bytes = (byte[])source.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), value);
        return bytes;
    }
}

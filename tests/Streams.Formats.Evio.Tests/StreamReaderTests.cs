using System.Buffers.Binary;

namespace Streams.Formats.Evio.Tests;

/// <summary>The record-at-a-time stream reader sees what the in-memory reader sees.</summary>
public class StreamReaderTests
{
    /// <summary>Hands out at most a few bytes per read, like a pipe or a socket.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _pos;
        private int _turn;

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, 1 + (_turn++ % 7)), data.Length - _pos);
            Array.Copy(data, _pos, buffer, offset, n);
            _pos += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Theory]
    [MemberData(nameof(Fixtures.All), MemberType = typeof(Fixtures))]
    public void Stream_reader_gives_the_same_events_as_the_memory_reader(string name)
    {
        var bytes = Fixtures.Bytes(name);
        var memory = new EvioReader(bytes);
        using var stream = new EvioStreamReader(new TrickleStream(bytes));
        var streamed = stream.ReadEvents().ToList();
        var expected = memory.Events.ToList();
        Assert.Equal(expected.Select(e => (e.Index, e.RecordNumber, e.RecordOffset, e.Root.Offset)),
            streamed.Select(e => (e.Index, e.RecordNumber, e.RecordOffset, e.Root.Offset)));
        Assert.Equal(expected.Select(e => e.Memory.ToArray()), streamed.Select(e => e.Memory.ToArray()));
        Assert.Equal(memory.Version, stream.Version);
        Assert.Equal(memory.IsBigEndian, stream.IsBigEndian);
        Assert.Equal(memory.FileHeader, stream.FileHeader);
        Assert.Equal(memory.Dictionary, stream.Dictionary);
        Assert.Equal(memory.FirstEvent?.Memory.ToArray(), stream.FirstEvent?.Memory.ToArray());
    }

    [Theory]
    [MemberData(nameof(Fixtures.All), MemberType = typeof(Fixtures))]
    public void Truncated_and_lying_streams_fail_like_the_memory_reader(string name)
    {
        var original = Fixtures.Bytes(name);
        bool be = new EvioReader(original).IsBigEndian;
        for (int cut = 0; cut < original.Length; cut += 3) Compare(original.AsSpan(0, cut).ToArray(), $"{name} cut at {cut}");
        for (int at = 0; at + 4 <= original.Length; at += 4)
        {
            foreach (uint lie in new uint[] { 0, 0xffffffff, 0x7fffffff, (uint)(original.Length - at) / 4 + 1 })
            {
                var copy = original.ToArray();
                if (be) BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(at), lie);
                else BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), lie);
                Compare(copy, $"{name} word {at} = 0x{lie:x8}");
            }
        }
    }

    private static void Compare(byte[] data, string what)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool memoryThrew = Throws(() =>
        {
            var r = new EvioReader(data);
            long n = r.Dictionary?.Length ?? 0;
            if (r.FirstEvent is { } fe) n += Walker.Walk(fe);
            foreach (var ev in r.Events) n += Walker.Walk(ev.Root);
        }, data.Length, what);
        bool streamThrew = Throws(() =>
        {
            using var s = new EvioStreamReader(new MemoryStream(data));
            long n = 0;
            foreach (var ev in s.ReadEvents()) n += Walker.Walk(ev.Root);
            if (s.FirstEvent is { } fe) n += Walker.Walk(fe);
        }, data.Length, what);
        Assert.True(memoryThrew == streamThrew, $"{what}: memory reader threw {memoryThrew}, stream reader {streamThrew}");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 512 * 1024, $"{what}: allocated too much");
    }

    private static bool Throws(Action a, int length, string what)
    {
        try { a(); return false; }
        catch (EvioFormatException e)
        {
            Assert.True(e.Offset >= 0 && e.Offset <= length, $"{what}: offset {e.Offset} outside 0..{length}: {e.Message}");
            return true;
        }
    }

    [Fact]
    public void A_file_of_many_records_streams_with_one_buffer_per_record()
    {
        var ms = new MemoryStream();
        using (var w = new EvioWriter(ms, new EvioWriterOptions { MaxEventsPerRecord = 3, Compression = EvioCompression.Lz4, LeaveOpen = true }))
            for (int i = 1; i <= 100; i++) w.WriteEvent(FixtureContent.Event(i));
        ms.Position = 0;
        using var s = new EvioStreamReader(ms);
        int n = 0;
        foreach (var ev in s.ReadEvents())
        {
            Assert.Equal(FixtureContent.Event(++n), ev.Memory.ToArray());
            Assert.Equal(n - 1, ev.Index);
        }
        Assert.Equal(100, n);
    }
}

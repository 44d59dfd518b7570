namespace Streams.Formats.Evio.Tests;

/// <summary>Our builder and writer reproduce JLab's files; our reader reads back what we write.</summary>
public class WriterTests
{
    [Theory]
    [InlineData("evio6-plain.evio", false)]
    [InlineData("evio6-be.evio", true)]
    [InlineData("evio4.evio", false)]
    [InlineData("evio4-be.evio", true)]
    public void Builder_reproduces_every_fixture_event_byte_for_byte(string name, bool bigEndian)
    {
        var reader = new EvioReader(Fixtures.Bytes(name));
        int i = 0;
        foreach (var ev in reader.Events)
        {
            i++;
            Assert.Equal(ev.Memory.ToArray(), FixtureContent.Event(i, bigEndian));
        }
        Assert.Equal(5, i);
    }

    [Theory]
    [InlineData("evio6-plain.evio", false, false)]
    [InlineData("evio6-be.evio", true, false)]
    [InlineData("evio6-dict.evio", false, true)]
    public void Writer_reproduces_the_JLab_file_byte_for_byte(string name, bool bigEndian, bool dictionary)
    {
        var ms = new MemoryStream();
        using (var w = new EvioWriter(ms, new EvioWriterOptions
               {
                   BigEndian = bigEndian, LeaveOpen = true,
                   Dictionary = dictionary ? FixtureContent.Dictionary : null,
                   FirstEvent = dictionary ? FixtureContent.FirstEvent(bigEndian) : null,
               }))
        {
            for (int i = 1; i <= 5; i++) w.WriteEvent(FixtureContent.Event(i, bigEndian));
        }
        Assert.Equal(Fixtures.Bytes(name), ms.ToArray());
    }

    [Theory]
    [InlineData("evio4.evio", false, false)]
    [InlineData("evio4-be.evio", true, false)]
    [InlineData("evio4-dict.evio", false, true)]
    public void V4_writer_reproduces_the_JLab_block_file_byte_for_byte(string name, bool bigEndian, bool dictionary)
    {
        var ms = new MemoryStream();
        using (var w = new EvioWriter(ms, new EvioWriterOptions
               {
                   Version = 4, BigEndian = bigEndian, MaxEventsPerRecord = 2, LeaveOpen = true,
                   Dictionary = dictionary ? FixtureContent.Dictionary : null,
                   FirstEvent = dictionary ? FixtureContent.FirstEvent(bigEndian) : null,
               }))
        {
            for (int i = 1; i <= 5; i++) w.WriteEvent(FixtureContent.Event(i, bigEndian));
            Assert.Equal(dictionary ? 6 : 5, w.EventCount);
        }
        Assert.Equal(Fixtures.Bytes(name), ms.ToArray());
    }

    [Fact]
    public void V4_writer_refuses_compression() =>
        Assert.Throws<ArgumentException>(() => new EvioWriter(new MemoryStream(), new EvioWriterOptions { Version = 4, Compression = EvioCompression.Lz4 }));

    [Fact]
    public void Lz4_writer_gives_the_JLab_record_layout_and_the_same_events()
    {
        var ms = new MemoryStream();
        using (var w = new EvioWriter(ms, new EvioWriterOptions { Compression = EvioCompression.Lz4, MaxEventsPerRecord = 2, LeaveOpen = true }))
            for (int i = 1; i <= 5; i++) w.WriteEvent(FixtureContent.Event(i));
        var ours = new EvioReader(ms.ToArray());
        var theirs = new EvioReader(Fixtures.Bytes("evio6-lz4.evio"));
        Assert.Equal(theirs.ReadRecordHeaders().Select(h => (h.Number, h.EventCount, h.DataBytes, h.Compression, h.IsTrailer)),
            ours.ReadRecordHeaders().Select(h => (h.Number, h.EventCount, h.DataBytes, h.Compression, h.IsTrailer)));
        Assert.Equal(theirs.Events.Select(e => e.Memory.ToArray()), ours.Events.Select(e => e.Memory.ToArray()));
        Assert.Equal(theirs.FileHeader! with { TrailerPosition = 0 }, ours.FileHeader! with { TrailerPosition = 0 });
        // (The compressed bytes themselves differ: K4os' fast LZ4 picks other matches than liblz4's LZ4_compress_fast.)
    }

    [Theory]
    [InlineData(EvioCompression.None, false)]
    [InlineData(EvioCompression.Lz4, false)]
    [InlineData(EvioCompression.Lz4Best, true)]
    [InlineData(EvioCompression.Gzip, false)]
    [InlineData(EvioCompression.Gzip, true)]
    public void Round_trip_gives_identical_events(EvioCompression compression, bool bigEndian)
    {
        var events = Enumerable.Range(1, 23).Select(i => FixtureContent.Event(i, bigEndian)).ToList();
        var ms = new MemoryStream();
        using (var w = new EvioWriter(ms, new EvioWriterOptions
               {
                   Compression = compression, BigEndian = bigEndian, MaxEventsPerRecord = 4, LeaveOpen = true,
                   Dictionary = "<xmlDict/>", FirstEvent = FixtureContent.FirstEvent(bigEndian),
               }))
            foreach (var e in events) w.WriteEvent(e);
        var r = new EvioReader(ms.ToArray());
        Assert.Equal(bigEndian, r.IsBigEndian);
        Assert.Equal("<xmlDict/>", r.Dictionary);
        Assert.Equal(FixtureContent.FirstEvent(bigEndian), r.FirstEvent!.Value.Memory.ToArray());
        Assert.Equal(events, r.Events.Select(e => e.Memory.ToArray()));
        var headers = r.ReadRecordHeaders();
        Assert.Equal(6, headers.Count(h => !h.IsTrailer));
        Assert.True(headers[^1].IsTrailer);
        Assert.Equal((uint)6, r.FileHeader!.RecordCount);
        Assert.Equal((ulong)headers[^1].Offset, r.FileHeader.TrailerPosition);
        Assert.All(headers.Where(h => !h.IsTrailer), h => Assert.Equal(compression, h.Compression));
    }

    [Theory]
    [InlineData(6, true, false)]
    [InlineData(6, false, true)]
    [InlineData(4, true, false)]
    [InlineData(4, false, true)]
    public void Dictionary_or_first_event_alone(int version, bool dictionary, bool firstEvent)
    {
        var ms = new MemoryStream();
        using (var w = new EvioWriter(ms, new EvioWriterOptions
               {
                   Version = version, LeaveOpen = true,
                   Dictionary = dictionary ? "<dict/>" : null, FirstEvent = firstEvent ? FixtureContent.FirstEvent(false) : null,
               }))
            w.WriteEvent(FixtureContent.Event(1));
        var r = new EvioReader(ms.ToArray());
        Assert.Equal(dictionary ? "<dict/>" : null, r.Dictionary);
        Assert.Equal(firstEvent, r.FirstEvent.HasValue);
        // v4 counts the first event among the events, v6 does not.
        Assert.Equal(version == 4 && firstEvent ? 2 : 1, r.CountEvents());
    }

    /// <summary>A forward-only stream: the writer cannot patch the header.</summary>
    private sealed class ForwardOnly(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }

    [Fact]
    public void Writing_to_a_forward_only_stream_gives_a_readable_file()
    {
        var ms = new MemoryStream();
        using (var w = new EvioWriter(new ForwardOnly(ms), new EvioWriterOptions { MaxEventsPerRecord = 2 }))
            for (int i = 1; i <= 5; i++) w.WriteEvent(FixtureContent.Event(i));
        var r = new EvioReader(ms.ToArray());
        Assert.Equal(0u, r.FileHeader!.RecordCount); // not patched
        Assert.Equal(Enumerable.Range(1, 5).Select(i => FixtureContent.Event(i)), r.Events.Select(e => e.Memory.ToArray()));
    }

    [Fact]
    public void Writer_splits_records_by_size()
    {
        var ms = new MemoryStream();
        using (var w = new EvioWriter(ms, new EvioWriterOptions { MaxRecordBytes = 1000, LeaveOpen = true }))
            for (int i = 1; i <= 5; i++) w.WriteEvent(FixtureContent.Event(i));
        var r = new EvioReader(ms.ToArray());
        Assert.Equal([2u, 2u, 1u], r.ReadRecordHeaders().Where(h => !h.IsTrailer).Select(h => h.EventCount));
        Assert.Equal(5, r.CountEvents());
    }

    [Fact]
    public void Writer_rejects_a_bank_whose_length_word_lies()
    {
        var ev = FixtureContent.Event(1);
        using var w = new EvioWriter(new MemoryStream());
        Assert.Throws<ArgumentException>(() => w.WriteEvent(ev.AsSpan(0, ev.Length - 4)));
    }
}

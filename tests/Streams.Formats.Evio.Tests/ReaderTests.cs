namespace Streams.Formats.Evio.Tests;

/// <summary>Reader behaviour beyond the dumps: headers, records, byte orders, views.</summary>
public class ReaderTests
{
    [Fact]
    public void Little_and_big_endian_files_give_the_same_values()
    {
        foreach (var (le, be) in new[] { ("evio6-plain.evio", "evio6-be.evio"), ("evio4.evio", "evio4-be.evio") })
        {
            var a = DumpFormatter.Format(new EvioReader(Fixtures.Bytes(le)));
            var b = DumpFormatter.Format(new EvioReader(Fixtures.Bytes(be)));
            Assert.Equal(a.Skip(1), b.Skip(1)); // all but the byte-order line
        }
    }

    [Fact]
    public void V6_headers_and_records_are_exposed()
    {
        var r = new EvioReader(Fixtures.Bytes("evio6-lz4.evio"));
        Assert.Equal(6, r.Version);
        Assert.Equal(EvioFileHeader.EvioId, r.FileHeader!.FileId);
        Assert.True(r.FileHeader.HasTrailerWithIndex);
        var recs = r.ReadRecordHeaders();
        Assert.Equal([56L, 776, 1496, 1980], recs.Select(h => h.Offset));
        Assert.Equal([664L, 661, 426], recs.Take(3).Select(h => h.CompressedBytes));
        Assert.All(recs.Take(3), h => Assert.Equal(EvioCompression.Lz4, h.Compression));
        Assert.True(recs[3].IsTrailer);
        Assert.True(recs[3].IsLastRecord);
        Assert.Equal(3, recs[1].CompressedPadding);
        var events = r.Events.ToList();
        Assert.Equal([1, 1, 2, 2, 3], events.Select(e => e.RecordNumber));
        Assert.All(events, e => Assert.True(e.Root.IsInCompressedRecord));
    }

    [Fact]
    public void V4_blocks_are_exposed()
    {
        var r = new EvioReader(Fixtures.Bytes("evio4.evio"));
        var blocks = r.ReadRecordHeaders();
        Assert.Equal([0L, 920, 1840, 2316], blocks.Select(h => h.Offset));
        Assert.Equal([2u, 2, 1, 0], blocks.Select(h => h.EventCount));
        Assert.True(blocks[3].IsLastRecord);
        Assert.Null(r.FileHeader);
        var dict = new EvioReader(Fixtures.Bytes("evio4-dict.evio"));
        Assert.Equal(FixtureContent.Dictionary, dict.Dictionary);
        Assert.Equal(FixtureContent.FirstEvent(false), dict.FirstEvent!.Value.Memory.ToArray());
    }

    [Fact]
    public void V6_dictionary_and_first_event_come_from_the_file_user_header()
    {
        var r = new EvioReader(Fixtures.Bytes("evio6-dict.evio"));
        Assert.Equal(FixtureContent.Dictionary, r.Dictionary);
        var fe = r.FirstEvent!.Value;
        Assert.Equal(0x103, fe.Offset); // not 4-byte aligned: after 139 bytes of XML
        Assert.Equal([0xcafe0001u, 0xcafe0002u], fe.UInt32s.ToArray());
        Assert.Equal(5, r.CountEvents()); // the first event is not among the events in v6
    }

    [Fact]
    public void A_v6_buffer_of_records_without_file_header_is_read()
    {
        var bytes = Fixtures.Bytes("evio6-plain.evio");
        var r = new EvioReader(bytes.AsMemory(56));
        Assert.Null(r.FileHeader);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => FixtureContent.Event(i)), r.Events.Select(e => e.Memory.ToArray()));
    }

    [Fact]
    public void Node_offsets_point_into_the_file()
    {
        var bytes = Fixtures.Bytes("evio6-plain.evio");
        foreach (var ev in new EvioReader(bytes).Events)
        {
            Assert.Equal(56 + 56 + 20, ev.Root.Offset);
            var seg = ev.Root.Children[11].Children[1];
            Assert.Equal(EvioStructureKind.Segment, seg.Kind);
            Assert.Equal(0x22, seg.Tag);
            Assert.Equal(3, seg.Padding);
            Assert.Equal(5, seg.DataBytes);
            Assert.Equal(bytes.AsSpan((int)seg.Offset, seg.TotalBytes).ToArray(), seg.Span.ToArray());
            break;
        }
    }

    [Fact]
    public void A_disposed_file_refuses_its_views()
    {
        var file = EvioFile.Open(Fixtures.PathOf("evio6-plain.evio"));
        var first = file.Events.First();
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => first.Root.Span.Length);
    }

    [Fact]
    public void Typed_views_check_the_data_type()
    {
        var ev = new EvioReader(Fixtures.Bytes("evio6-plain.evio")).Events.First();
        Assert.Throws<InvalidOperationException>(() => ev.Root.Children[0].Doubles.Length);
        Assert.Throws<InvalidOperationException>(() => ev.Root.Children[0].GetStrings());
        Assert.Equal(6, ev.Root.Children[0].UInt32s.Length);
    }
}

/// <summary><see cref="EvioNode.ParseBank"/> and <see cref="EvioNode.BankByteOrder"/>: a bank held alone (an event's payload).</summary>
public class StandaloneBankTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_bank_alone_is_parsed_in_its_byte_order(bool bigEndian)
    {
        var bank = new EvioBuilder(bigEndian).OpenBank(1, EvioDataType.Bank, 3).OpenBank(0x11, EvioDataType.UInt32, 1).Add([7u, 8u]).Close().Close().ToArray();
        Assert.Equal(bigEndian, EvioNode.BankByteOrder(bank));
        var root = EvioNode.ParseBank(bank, bigEndian);
        Assert.Equal(1, root.Tag);
        Assert.Equal(3, root.Num);
        foreach (var child in root.Children) Assert.Equal([7u, 8u], child.UInt32s.ToArray());
    }

    [Fact]
    public void A_buffer_that_is_not_one_whole_bank_is_refused_with_an_offset()
    {
        var bank = new EvioBuilder().OpenBank(1, EvioDataType.UInt32, 0).Add([1u]).Close().ToArray();
        Assert.Null(EvioNode.BankByteOrder(bank.AsSpan(0, 7)));
        byte[] longer = [.. bank, 0, 0, 0, 0];
        Assert.Null(EvioNode.BankByteOrder(longer));
        var e = Assert.Throws<EvioFormatException>(() => EvioNode.ParseBank(longer, bigEndian: false));
        Assert.Equal(0, e.Offset);
        Assert.Throws<EvioFormatException>(() => EvioNode.ParseBank(bank.AsMemory(0, 6), bigEndian: false));
    }
}

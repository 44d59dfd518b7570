namespace Streams.Formats.Evio.Tests;

/// <summary>COMPOSITE format interpretation and CHARSTAR8 padding, beyond what the fixtures hold.</summary>
public class CompositeAndStringTests
{
    private static CompositeData RoundTrip(string format, IReadOnlyList<CompositeItem> items, bool bigEndian = false)
    {
        var bytes = new EvioBuilder(bigEndian).OpenBank(5, EvioDataType.Composite, 6)
            .AddComposite(new CompositeData(format, items, 7, 8, 9)).Close().ToArray();
        var node = EvioNodeOf(bytes, bigEndian);
        var c = node.GetComposite();
        Assert.Equal(format, c.Format);
        Assert.Equal((7, 8, (byte)9), (c.FormatTag, c.DataTag, c.DataNum));
        return c;
    }

    private static EvioNode EvioNodeOf(byte[] bank, bool bigEndian)
    {
        var ms = new MemoryStream();
        using (var w = new EvioWriter(ms, new EvioWriterOptions { BigEndian = bigEndian, LeaveOpen = true })) w.WriteEvent(bank);
        foreach (var ev in new EvioReader(ms.ToArray()).Events) return ev.Root;
        throw new InvalidOperationException("no event");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Signed_unsigned_and_floating_items_round_trip_in_both_orders(bool bigEndian)
    {
        CompositeItem[] items =
        [
            CompositeItem.Char(-3), CompositeItem.Char(4), CompositeItem.Char(-128), CompositeItem.Short(-2), CompositeItem.Short(300),
            CompositeItem.Long(-5_000_000_000), CompositeItem.Int(-7), CompositeItem.Double64(-1.5), CompositeItem.Float(2.25f),
        ];
        var c = RoundTrip("3C,2S,L,I,D,F", items, bigEndian);
        Assert.Equal(items, c.Items);
        Assert.Equal(-128, c.Items[2].Int64);
        Assert.Equal(-5_000_000_000, c.Items[5].Int64);
        Assert.Equal(-1.5, c.Items[7].Double);
        Assert.Equal(2.25, c.Items[8].Double);
        Assert.Equal("SHORT16:-2", c.Items[3].ToString());
    }

    [Fact]
    public void Fixed_repeat_of_a_group()
    {
        CompositeItem[] items = [CompositeItem.UInt(1), CompositeItem.UShort(2), CompositeItem.UInt(3), CompositeItem.UShort(4)];
        Assert.Equal(items, RoundTrip("2(i,s)", items).Items);
    }

    [Fact]
    public void Format_exhausted_before_the_data_starts_over_from_the_beginning()
    {
        CompositeItem[] items = [CompositeItem.UInt(1), CompositeItem.UShort(2), CompositeItem.UInt(3), CompositeItem.UShort(4)];
        Assert.Equal(items, RoundTrip("i,s", items).Items);
    }

    [Fact]
    public void A_format_ending_in_a_one_letter_group_repeats_that_letter_to_the_end()
    {
        CompositeItem[] items = [CompositeItem.UChar(9), .. Enumerable.Range(0, 5).Select(i => CompositeItem.UShort((ushort)i))];
        Assert.Equal(items, RoundTrip("c,(s)", items).Items);
    }

    [Fact]
    public void Counts_read_as_int16_and_int8()
    {
        CompositeItem[] items =
        [
            new(CompositeType.Count16, 2), CompositeItem.Float(1), CompositeItem.Float(2),
            new(CompositeType.Count8, 1), CompositeItem.Double64(3),
        ];
        var c = RoundTrip("nF,m(D)", items);
        Assert.Equal(items, c.Items);
        Assert.Equal("n:2", c.Items[0].ToString());
    }

    [Theory]
    [InlineData("x")]
    [InlineData("2(i")]
    [InlineData("N")]
    public void Bad_format_strings_are_format_exceptions(string format)
    {
        Assert.Throws<FormatException>(() => CompositeFormat.Parse(format));
        // A file holding such a format reads as an EvioFormatException.
        var good = new EvioBuilder().OpenBank(5, EvioDataType.Composite, 6)
            .AddComposite(new CompositeData("i", [CompositeItem.UInt(1)])).Close().ToArray();
        var bad = good.ToArray();
        Assert.Equal((byte)'i', bad[12]); // bank header (8), tagsegment header (4), then the format
        bad[12] = (byte)format[0];
        var e = Assert.Throws<EvioFormatException>(() => EvioNodeOf(bad, false).GetComposite());
        Assert.Contains("bad composite format", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Item_cut_by_the_end_of_the_data_is_a_format_exception()
    {
        // Format says a 64-bit item, data hold only 4 bytes.
        var bytes = new EvioBuilder().OpenBank(5, EvioDataType.Composite, 6)
            .AddComposite(new CompositeData("l", [CompositeItem.UInt(1)])).Close().ToArray();
        var e = Assert.Throws<EvioFormatException>(() => EvioNodeOf(bytes, false).GetComposite());
        Assert.Contains("needs 8 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Composite_inner_bank_with_padding_larger_than_its_data_is_a_format_exception()
    {
        // Inner data bank of length 1 (no data) claiming 3 bytes of padding.
        var bytes = new EvioBuilder().OpenBank(5, EvioDataType.Composite, 6)
            .AddComposite(new CompositeData("i", [])).Close().ToArray();
        int inner = 8 + 4 + 4; // outer bank header, format tagsegment header, "i\0\4\4"
        Assert.Equal(1u, BitConverter.ToUInt32(bytes, inner));
        bytes[inner + 5] |= 0xc0; // pad bits 14-15 of the inner bank's second word
        var e = Assert.Throws<EvioFormatException>(() => EvioNodeOf(bytes, false).GetComposite());
        Assert.Contains("padding", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Strings_are_padded_with_one_to_four_0x04_bytes()
    {
        Assert.Equal("abc\0\u0004\u0004\u0004\u0004"u8.ToArray(), Encode("abc"));
        Assert.Equal("ab\0\u0004"u8.ToArray(), Encode("ab"));
        Assert.Equal("event1\0JLab\0evio\0\u0004\u0004\u0004"u8.ToArray(), Encode("event1", "JLab", "evio"));
        Assert.Equal("\u0004\u0004\u0004\u0004"u8.ToArray(), Encode());
        Assert.Equal(["event1", "JLab", "evio"], EvioStrings.Decode("event1\0JLab\0evio\0\u0004\u0004\u0004"u8));
        Assert.Equal(["abc"], EvioStrings.Decode("abc\0\0\0\0\0"u8)); // old single-string form, NUL padded
        Assert.Equal(["abcd"], EvioStrings.Decode("abcd"u8)); // no terminator at all
        Assert.Empty(EvioStrings.Decode("\u0004\u0004\u0004\u0004"u8));
    }

    private static byte[] Encode(params string[] s)
    {
        var buf = new byte[EvioStrings.EncodedLength(s)];
        Assert.Equal(buf.Length, EvioStrings.Encode(s, buf));
        return buf;
    }
}

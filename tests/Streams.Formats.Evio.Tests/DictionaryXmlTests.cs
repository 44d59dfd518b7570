namespace Streams.Formats.Evio.Tests;

/// <summary>The XML dictionaries of the fixtures as name/tag/num lookups.</summary>
public class DictionaryXmlTests
{
    [Theory]
    [InlineData("evio4-dict.evio")]
    [InlineData("evio6-dict.evio")]
    public void Fixture_dictionary_names_the_fixture_banks(string name)
    {
        var r = new EvioReader(Fixtures.Bytes(name));
        var d = EvioDictionaryXml.Parse(r.Dictionary!);
        Assert.Equal(["topBank", "topBank.uints"], d.Entries.Select(e => e.Path));
        var ev = r.Events.Last();
        Assert.Equal("topBank", d.Find(ev.Root)!.Name);
        Assert.Equal("uints", d.Find(ev.Root.Children[0])!.Name);
        Assert.Equal("uint32", d.FindByPath("topBank.uints")!.Type);
        Assert.Null(d.Find(ev.Root.Children[1]));
    }

    [Fact]
    public void Flat_entries_tag_ranges_and_missing_nums()
    {
        var d = EvioDictionaryXml.Parse("<xmlDict><dictEntry name=\"adc\" tag=\"5-9\"/><dictEntry name=\"tdc\" tag=\"12\" num=\"3\"/></xmlDict>");
        Assert.Equal("adc", d.Find(7, 200)!.Name);
        Assert.Equal("tdc", d.Find(12, 3)!.Name);
        Assert.Null(d.Find(12, 4));
        Assert.Throws<FormatException>(() => EvioDictionaryXml.Parse("<xmlDict><bank"));
    }
}

using System.Globalization;

namespace Streams.Formats.Evio.Tests;

/// <summary>Every fixture read by our reader matches JLab's own dump of it, line for line and value for value.</summary>
public class FixtureDumpTests
{
    [Theory]
    [MemberData(nameof(Fixtures.All), MemberType = typeof(Fixtures))]
    public void Mapped_file_matches_the_JLab_dump_value_for_value(string name)
    {
        using var file = EvioFile.Open(Fixtures.PathOf(name));
        AssertMatchesDump(file.Reader, Fixtures.Dump(name));
    }

    [Theory]
    [MemberData(nameof(Fixtures.All), MemberType = typeof(Fixtures))]
    public void In_memory_reader_matches_the_JLab_dump_value_for_value(string name) =>
        AssertMatchesDump(new EvioReader(Fixtures.Bytes(name)), Fixtures.Dump(name));

    [Fact]
    public void The_dump_comparison_notices_a_single_changed_value()
    {
        var dump = Fixtures.Dump("evio6-plain.evio");
        var changed = dump.Replace("data: 3000 3001 3002 3003 3004 3005", "data: 3000 3001 3002 3003 3004 3006", StringComparison.Ordinal);
        Assert.NotEqual(dump, changed);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertMatchesDump(new EvioReader(Fixtures.Bytes("evio6-plain.evio")), changed));
        var dropped = dump.Replace("      data: \"event2\" \"JLab\" \"evio\"\n", "", StringComparison.Ordinal);
        Assert.NotEqual(dump, dropped);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertMatchesDump(new EvioReader(Fixtures.Bytes("evio6-plain.evio")), dropped));
    }

    private static void AssertMatchesDump(EvioReader reader, string dump)
    {
        var (expected, header) = DumpFormatter.ParseDump(dump);
        var actual = DumpFormatter.Format(reader);
        Assert.True(expected.Count > 100, "dump looks empty");
        for (int i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            Assert.True(i < expected.Count, $"extra line {i}: {actual[i]}");
            Assert.True(i < actual.Count, $"missing line {i}: {expected[i]}");
            AssertLineEqual(expected[i], actual[i], i);
        }
        if (reader.Version == 6) AssertFileHeader(reader.FileHeader!, header);
        else Assert.Empty(header);
    }

    /// <summary>Equal text, except that numbers are compared as numbers (float formatting differs between C++ and .NET).</summary>
    private static void AssertLineEqual(string expected, string actual, int line)
    {
        if (expected == actual) return;
        var e = expected.Split(' ');
        var a = actual.Split(' ');
        Assert.True(e.Length == a.Length, $"line {line}: expected\n{expected}\nactual\n{actual}");
        for (int i = 0; i < e.Length; i++)
        {
            if (e[i] == a[i]) continue;
            bool numbers = double.TryParse(e[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
                           & double.TryParse(a[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var y);
            Assert.True(numbers && x == y, $"line {line} token {i}: expected '{e[i]}' got '{a[i]}'\n{expected}\n{actual}");
        }
    }

    private static void AssertFileHeader(EvioFileHeader h, Dictionary<string, string> d)
    {
        Assert.Equal($"0x{h.FileId:x8}, Evio file", d["ID"]);
        Assert.Equal(h.Version.ToString(CultureInfo.InvariantCulture), d["version"]);
        Assert.StartsWith($"{h.FileNumber},", d["file #"], StringComparison.Ordinal);
        var user = d["user header length"].Split('/', StringSplitOptions.TrimEntries);
        Assert.Equal(h.UserHeaderBytes.ToString(CultureInfo.InvariantCulture), user[0]);
        Assert.Equal(((h.UserHeaderBytes + 3) / 4).ToString(CultureInfo.InvariantCulture), user[1]);
        Assert.Equal(h.UserHeaderPadding.ToString(CultureInfo.InvariantCulture), user[2]);
        Assert.Equal((h.HeaderWords * 4).ToString(CultureInfo.InvariantCulture), d["header length"]);
        Assert.Equal("0xc0da0100", d["magic word"]);
        Assert.Equal($"0x{h.BitInfo:x8}", d["bit info word"]);
        Assert.Equal(Convert.ToString(h.BitInfo, 2).PadLeft(32, '0'), d["bit info bits"]);
        Assert.Equal(h.HasDictionary ? "true" : "false", d["has dictionary"]);
        Assert.Equal(h.HasFirstEvent ? "true" : "false", d["has firstEvent"]);
        Assert.Equal(h.HasTrailerWithIndex ? "true" : "false", d["has trailer w/ index"]);
        Assert.Equal(h.RecordCount.ToString(CultureInfo.InvariantCulture), d["record entries"]);
        Assert.Equal(h.IndexBytes.ToString(CultureInfo.InvariantCulture), d["index length"]);
        Assert.Equal(h.TrailerPosition.ToString(CultureInfo.InvariantCulture), d["trailer position"]);
        Assert.Equal(h.UserRegister.ToString(CultureInfo.InvariantCulture), d["user register"]);
        Assert.Equal(h.UserInt1.ToString(CultureInfo.InvariantCulture), d["user int #1"]);
        Assert.Equal(h.UserInt2.ToString(CultureInfo.InvariantCulture), d["user int #2"]);
    }
}

using System.Globalization;

namespace Streams.Formats.Hipo.Tests;

/// <summary>hipo4.hipo (written by gavalian/hipo) read back value for value against its dump.</summary>
public sealed class FixtureTests
{
    private static readonly byte[] File = Fixtures.Bytes("hipo4.hipo");
    private static readonly DumpFile Dump = DumpFile.Parse(Fixtures.Lines("hipo4.dump.txt"));

    [Fact]
    public void Dump_parses_to_twenty_events()
    {
        Assert.Equal(20, Dump.EventCount);
        Assert.Equal(20, Dump.Events.Count);
        Assert.Equal(4, Dump.Schemas.Count);
    }

    [Fact]
    public void Header_records_and_index_match_the_layout()
    {
        var reader = new HipoReader(File);
        Assert.False(reader.IsBigEndian);
        Assert.Equal(6, reader.Version);
        Assert.True(reader.HasIndex);
        Assert.Equal(56, reader.UserHeaderPosition);
        Assert.Equal(20, reader.EventCount);
        Assert.Equal(
            [new(1000, 904, 8, 0, 0, 0), new(1904, 940, 8, 8, 0, 0), new(2844, 560, 4, 16, 0, 0)],
            reader.Records.ToArray<HipoRecordInfo>());
        Assert.Empty(reader.UserConfig);
    }

    [Fact]
    public void Schemas_match_the_dump_and_the_clas12_constants()
    {
        var reader = new HipoReader(File);
        Assert.Equal(Dump.Schemas.Select(s => s.Name), reader.Schemas.Select(s => s.Name));
        foreach (var (name, group, item, rowLength, text) in Dump.Schemas)
        {
            Schema s = reader.Schemas[name];
            Assert.Equal((group, item, rowLength, text), (s.Group, s.Item, s.RowLength, s.ToCompactString()));
        }
        Assert.Equal(reader.Schemas["REC::Particle"].ToCompactString(), Clas12Schemas.RecParticle.ToCompactString());
        Assert.Equal(reader.Schemas["REC::Track"].ToCompactString(), Clas12Schemas.RecTrack.ToCompactString());
        Assert.Equal(reader.Schemas["REC::Event"].ToCompactString(), Clas12Schemas.RecEvent.ToCompactString());
        Assert.Equal(reader.Schemas["DC::tdc"].ToCompactString(), Clas12Schemas.DcTdc.ToCompactString());
        Assert.Equal((43, 17, 42, 9), (Clas12Schemas.RecParticle.RowLength, Clas12Schemas.RecTrack.RowLength,
            Clas12Schemas.RecEvent.RowLength, Clas12Schemas.DcTdc.RowLength));
    }

    [Fact]
    public void Every_value_of_every_bank_of_every_event_matches_the_dump()
    {
        var reader = new HipoReader(File);
        var events = reader.ReadEvents().ToList();
        Assert.Equal(Dump.Events.Count, events.Count);
        int values = 0;
        foreach (DumpEvent expected in Dump.Events)
        {
            HipoEvent e = events[expected.Number];
            Assert.Equal(expected.Number, e.Index);
            Assert.Equal(expected.Size, e.Data.Length);
            Assert.Equal(expected.Tag, e.Tag);
            Assert.Equal(expected.Structures, e.Structures.Select(s => (s.Group, s.Item, s.Type, s.Data.Length, s.HeaderSize)));
            // The dump lists the banks present, alphabetically.
            Assert.Equal(expected.Banks.Select(b => b.Name), reader.Schemas.Where(e.HasBank).Select(s => s.Name));
            foreach (DumpBank db in expected.Banks)
            {
                Bank bank = e.GetBank(reader.Schemas[db.Name]);
                Assert.Equal(db.RowCount, bank.Rows);
                Assert.Equal(db.RowCount, db.Rows.Count);
                for (int r = 0; r < bank.Rows; r++)
                {
                    Assert.Equal(db.Rows[r].Select(c => c.Column), bank.Schema.Entries.Select(c => c.Name));
                    foreach (var (column, text) in db.Rows[r])
                    {
                        AssertValue(bank, column, r, text, $"event {expected.Number} {db.Name}[{r}].{column}");
                        values++;
                    }
                }
            }
        }
        Assert.True(values > 500, $"only {values} values compared");
    }

    [Fact]
    public void Open_reads_the_file_on_disk_record_by_record_with_the_same_result()
    {
        var memory = new HipoReader(File);
        using HipoReader disk = HipoReader.Open(Path.Combine(Fixtures.Directory, "hipo4.hipo"));
        Assert.Equal(memory.Records, disk.Records);
        Assert.Equal(memory.Schemas.ToCompactStrings(), disk.Schemas.ToCompactStrings());
        Assert.Equal(memory.ReadEvents().Select(e => e.Data.ToArray()), disk.ReadEvents().Select(e => e.Data.ToArray()));
        Assert.Equal(memory.GetEvent(13).Data.ToArray(), disk.GetEvent(13).Data.ToArray());
    }

    [Fact]
    public void Open_refuses_a_truncated_file_on_disk()
    {
        string path = Path.Combine(Path.GetTempPath(), $"hipo-{Guid.NewGuid():N}.hipo");
        try
        {
            System.IO.File.WriteAllBytes(path, File[..3000]);
            var ex = Assert.Throws<HipoFormatException>(() => HipoReader.Open(path));
            Assert.Equal(40, ex.Offset);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void Banks_absent_from_an_event_read_as_zero_rows()
    {
        var reader = new HipoReader(File);
        HipoEvent e0 = reader.GetEvent(0);
        Assert.Equal(0, e0.GetBank(Clas12Schemas.RecParticle).Rows);
        Assert.False(e0.TryGetBank(Clas12Schemas.RecTrack, out _));
        Assert.Equal(1, reader.GetEvent(19).GetBank(Clas12Schemas.RecTrack).Rows);
    }

    [Fact]
    public void Banks_are_found_by_group_and_item_and_listed_in_file_order()
    {
        var reader = new HipoReader(File);
        HipoEvent e = reader.GetEvent(5);
        Assert.True(e.TryGetBank(reader.Schemas, 300, 31, out Bank? particles));
        Assert.Equal("REC::Particle", particles.Schema.Name);
        Assert.Equal(2, particles.Rows);
        Assert.False(e.TryGetBank(reader.Schemas, 300, 32, out _));
        Assert.Equal(["REC::Event", "REC::Particle", "DC::tdc", "REC::Track"], e.GetBanks(reader.Schemas).Select(b => b.Schema.Name));
    }

    [Fact]
    public void Reading_values_allocates_nothing()
    {
        var reader = new HipoReader(File);
        HipoEvent e = reader.GetEvent(5);
        Bank[] banks = [.. e.GetBanks(reader.Schemas)];
        double Sum()
        {
            double sum = 0;
            foreach (Bank b in banks)
            {
                for (int r = 0; r < b.Rows; r++)
                {
                    for (int c = 0; c < b.Schema.Entries.Count; c++)
                    {
                        sum += b.GetAsDouble(c, r) + b.GetAsDouble(b.Schema[c].Name, r);
                    }
                }
            }
            return sum;
        }
        for (int i = 0; i < 200; i++)
        {
            Sum(); // past the JIT's tiering
        }
        // The least of a few tries, so a tier-up landing in one of them does not count.
        long least = long.MaxValue;
        double total = 0;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            total = Sum();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, least);
        Assert.NotEqual(0, total);
    }

    [Fact]
    public void Typed_getters_widen_and_refuse_the_wrong_type()
    {
        Bank tdc = new HipoReader(File).GetEvent(2).GetBank(Clas12Schemas.DcTdc);
        Assert.Equal(3, tdc.Rows);
        Assert.Equal((sbyte)4, tdc.GetByte("sector", 1));
        Assert.Equal(20, tdc.GetInt("component", 1));
        Assert.Equal(2001L, tdc.GetLong("TDC", 1));
        Assert.Equal(2001.0, tdc.GetAsDouble("TDC", 1));
        Assert.Throws<InvalidOperationException>(() => tdc.GetFloat("TDC", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tdc.GetInt("TDC", 3));
        Assert.Throws<ArgumentException>(() => tdc.GetInt("nope", 0));
        Assert.Equal([0xd0, 0x07, 0, 0, 0xd1, 0x07, 0, 0, 0xd2, 0x07, 0, 0], tdc.GetColumnBytes(4).ToArray());
    }

    private static void AssertValue(Bank bank, string column, int row, string text, string where)
    {
        int c = bank.Schema.GetIndex(column);
        switch (bank.Schema[c].Type)
        {
            case HipoType.Float:
                float f = bank.GetFloat(c, row);
                float expectedF = (float)double.Parse(text, CultureInfo.InvariantCulture);
                Assert.True(expectedF == f && (text.StartsWith('-') == float.IsNegative(f)), $"{where}: {f} != {text}");
                break;
            case HipoType.Double:
                double d = bank.GetDouble(c, row);
                Assert.True(double.Parse(text, CultureInfo.InvariantCulture) == d, $"{where}: {d:R} != {text}");
                break;
            default:
                Assert.True(long.Parse(text, CultureInfo.InvariantCulture) == bank.GetLong(c, row), $"{where}: {bank.GetLong(c, row)} != {text}");
                break;
        }
    }
}

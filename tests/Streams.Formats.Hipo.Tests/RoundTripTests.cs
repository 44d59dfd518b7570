using CsCheck;

namespace Streams.Formats.Hipo.Tests;

/// <summary>Random events through our writer and back through our reader: identical rows.</summary>
public sealed class RoundTripTests
{
    private static readonly Schema[] Clas12 = [Clas12Schemas.RecEvent, Clas12Schemas.RecParticle, Clas12Schemas.DcTdc, Clas12Schemas.RecTrack];

    /// <summary>One bank: rows x columns raw 64-bit patterns, cut to each column's type.</summary>
    private static Gen<long[]> GenBank(Schema s, int maxRows) =>
        Gen.Int[0, maxRows].SelectMany(rows => Gen.Long.Array[rows * s.Entries.Count]);

    private static Gen<(int Tag, long[][] Banks)> GenEvent(Schema[] schemas, int maxRows) =>
        Gen.Select(Gen.Int[0, 1], Gen.Int[0, 20].Select(i => i == 0))
           .SelectMany((tag, _) => GenBanks(schemas, maxRows).Select(banks => (tag, banks)));

    private static Gen<long[][]> GenBanks(Schema[] schemas, int maxRows)
    {
        Gen<long[][]> all = Gen.Const(Array.Empty<long[]>());
        foreach (Schema s in schemas)
        {
            all = all.SelectMany(done => GenBank(s, maxRows).Select(bank => (long[][])[.. done, bank]));
        }
        return all;
    }

    [Fact]
    public void Clas12_banks_round_trip_through_several_compressed_records()
    {
        Gen.Select(GenEvent(Clas12, 4).Array[1, 40], Gen.Int[1, 8], Gen.Bool)
           .Sample((events, perRecord, compress) => RoundTrip(Clas12, events, perRecord, compress), iter: 150);
    }

    [Fact]
    public void Random_schemas_round_trip()
    {
        HipoType[] types = [HipoType.Byte, HipoType.Short, HipoType.Int, HipoType.Float, HipoType.Double, HipoType.Long];
        Gen<HipoType> type = Gen.Int[0, types.Length - 1].Select(i => types[i]);
        Gen<Schema[]> schemas = type.Array[1, 12].Array[1, 4].Select(tables => tables
            .Select((columns, t) => new Schema($"T{t}::bank", 100 + t, t, columns.Select((c, i) => ($"c{i}", c))))
            .ToArray());
        schemas.SelectMany(s => Gen.Select(GenEvent(s, 30).Array[1, 25], Gen.Int[1, 6]).Select(x => (s, x.Item1, x.Item2)))
               .Sample((s, events, perRecord) => RoundTrip(s, events, perRecord, compress: true), iter: 100);
    }

    [Fact]
    public void A_file_without_events_reads_as_empty()
    {
        using var ms = new MemoryStream();
        new HipoWriter(ms, Clas12Schemas.All(), leaveOpen: true).Close();
        var reader = new HipoReader(ms.ToArray());
        Assert.Equal(0, reader.EventCount);
        Assert.Empty(reader.Records);
        Assert.Equal(5, reader.Schemas.Count);
    }

    [Fact]
    public void No_schemas_and_raw_structures_round_trip()
    {
        using var ms = new MemoryStream();
        using (var w = new HipoWriter(ms, new SchemaDictionary(), leaveOpen: true))
        {
            w.AddEvent(new HipoEventBuilder(tag: 5).AddStructure(1, 2, 6, "hello"u8));
            w.AddEvent(new HipoEventBuilder());
        }
        var reader = new HipoReader(ms.ToArray());
        Assert.Empty(reader.Schemas);
        Assert.Equal(2, reader.EventCount);
        // A tag change starts a new record whose userWordOne is the tag.
        Assert.Equal([5L, 0L], reader.Records.Select(r => r.UserWordOne));
        HipoEvent first = reader.GetEvent(0);
        Assert.Equal(5, first.Tag);
        Assert.True(first.TryGetStructure(1, 2, out HipoStructure s));
        Assert.Equal((6, "hello"), (s.Type, System.Text.Encoding.ASCII.GetString(s.Data.Span)));
        Assert.Empty(reader.GetEvent(1).Structures);
    }

    [Fact]
    public void Records_are_cut_by_byte_size_too()
    {
        using var ms = new MemoryStream();
        using (var w = new HipoWriter(ms, Clas12Schemas.All(), new HipoWriterOptions { MaxRecordBytes = 1000 }, leaveOpen: true))
        {
            for (int i = 0; i < 50; i++)
            {
                w.AddEvent(new HipoEventBuilder().AddBank(new BankBuilder(Clas12Schemas.DcTdc, 20).PutInt("TDC", 3, i)));
            }
        }
        var reader = new HipoReader(ms.ToArray());
        Assert.Equal(50, reader.EventCount);
        Assert.True(reader.Records.Count >= 10, $"{reader.Records.Count} records");
        Assert.All(reader.ReadEvents(), e => Assert.Equal(e.Index, e.GetBank(Clas12Schemas.DcTdc).GetInt("TDC", 3)));
    }

    private static void RoundTrip(Schema[] schemas, (int Tag, long[][] Banks)[] events, int perRecord, bool compress)
    {
        using var ms = new MemoryStream();
        using (var writer = new HipoWriter(ms, new SchemaDictionary(schemas),
                   new HipoWriterOptions { MaxEventsPerRecord = perRecord, Compress = compress }, leaveOpen: true))
        {
            foreach (var (tag, banks) in events)
            {
                var ev = new HipoEventBuilder(tag);
                for (int b = 0; b < schemas.Length; b++)
                {
                    ev.AddBank(Fill(schemas[b], banks[b]));
                }
                writer.AddEvent(ev);
            }
        }
        var reader = new HipoReader(ms.ToArray());
        Assert.True(reader.HasIndex);
        Assert.Equal(events.Length, reader.EventCount);
        Assert.True(reader.Records.Count >= (events.Length + perRecord - 1) / perRecord);
        Assert.Equal(schemas.Select(s => s.ToCompactString()).Order(StringComparer.Ordinal), reader.Schemas.ToCompactStrings());
        int i = 0;
        foreach (HipoEvent e in reader.ReadEvents())
        {
            var (tag, banks) = events[i++];
            Assert.Equal(tag, e.Tag);
            for (int b = 0; b < schemas.Length; b++)
            {
                Schema s = reader.Schemas[schemas[b].Name];
                Bank bank = e.GetBank(s);
                int columns = s.Entries.Count;
                Assert.Equal(banks[b].Length / columns, bank.Rows);
                Assert.Equal(bank.Rows > 0, e.HasBank(s));
                for (int r = 0; r < bank.Rows; r++)
                {
                    for (int c = 0; c < columns; c++)
                    {
                        Assert.Equal(Cut(s[c].Type, banks[b][(r * columns) + c]), Bits(bank, c, r));
                    }
                }
            }
        }
    }

    private static BankBuilder Fill(Schema s, long[] raw)
    {
        int columns = s.Entries.Count;
        var bank = new BankBuilder(s, raw.Length / columns);
        for (int r = 0; r < bank.Rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                long v = raw[(r * columns) + c];
                _ = s[c].Type switch
                {
                    HipoType.Byte => bank.PutByte(c, r, (sbyte)v),
                    HipoType.Short => bank.PutShort(c, r, (short)v),
                    HipoType.Int => bank.PutInt(c, r, (int)v),
                    HipoType.Long => bank.PutLong(c, r, v),
                    HipoType.Float => bank.PutFloat(c, r, BitConverter.Int32BitsToSingle((int)v)),
                    _ => bank.PutDouble(c, r, BitConverter.Int64BitsToDouble(v)),
                };
            }
        }
        return bank;
    }

    private static long Cut(HipoType type, long v) => type switch
    {
        HipoType.Byte => (sbyte)v,
        HipoType.Short => (short)v,
        HipoType.Int or HipoType.Float => (int)v,
        _ => v,
    };

    /// <summary>The value's bits, so NaN payloads and -0 compare exactly.</summary>
    private static long Bits(Bank bank, int c, int r) => bank.Schema[c].Type switch
    {
        HipoType.Float => BitConverter.SingleToInt32Bits(bank.GetFloat(c, r)),
        HipoType.Double => BitConverter.DoubleToInt64Bits(bank.GetDouble(c, r)),
        _ => bank.GetLong(c, r),
    };
}

using Apache.Arrow;
using Apache.Arrow.Ipc;

namespace Streams.Formats.Hipo.Tests;

/// <summary>Banks of a range of events as Arrow columns.</summary>
public sealed class ArrowTests
{
    private static readonly HipoReader Reader = new(Fixtures.Bytes("hipo4.hipo"));

    [Theory]
    [InlineData("REC::Particle", 0, 20)]
    [InlineData("DC::tdc", 4, 6)]
    [InlineData("REC::Event", 0, 20)]
    [InlineData("REC::Track", 3, 0)]
    [InlineData("REC::Track", 0, 20)]
    public void Every_row_of_the_bank_becomes_an_arrow_row(string bank, int start, int count)
    {
        Schema schema = Reader.Schemas[bank];
        using RecordBatch batch = HipoArrow.ToRecordBatch(Reader, schema, start, count);
        var expected = Reader.ReadEvents(start, count)
            .SelectMany(e => Enumerable.Range(0, e.GetBank(schema).Rows).Select(r => (e, Bank: e.GetBank(schema), Row: r)))
            .ToList();
        Assert.Equal(expected.Count, batch.Length);
        Assert.Equal([HipoArrow.EventColumn, .. schema.Entries.Select(e => e.Name)], batch.Schema.FieldsList.Select(f => f.Name));
        Assert.Equal(bank, batch.Schema.Metadata["hipo.bank"]);
        var events = (Int64Array)batch.Column(0);
        for (int i = 0; i < expected.Count; i++)
        {
            var (e, b, r) = expected[i];
            Assert.Equal(e.Index, events.GetValue(i));
            for (int c = 0; c < schema.Entries.Count; c++)
            {
                Assert.Equal(b.GetAsDouble(c, r), Value(batch.Column(c + 1), i));
            }
        }
    }

    [Fact]
    public void Particle_rows_are_counted_as_the_fixture_was_written()
    {
        using RecordBatch batch = HipoArrow.ToRecordBatch(Clas12Schemas.RecParticle, Reader.ReadEvents());
        // Event i has i % 3 particles: 19 in 20 events.
        Assert.Equal(19, batch.Length);
        Assert.Equal(2212, ((Int32Array)batch.Column("pid")).GetValue(2)!.Value);
        Assert.Equal((short)-2021, ((Int16Array)batch.Column("status")).GetValue(2)!.Value);
        Assert.Equal(2L, ((Int64Array)batch.Column(HipoArrow.EventColumn)).GetValue(2)!.Value);
    }

    [Fact]
    public void One_pass_gives_a_batch_per_bank()
    {
        IReadOnlyDictionary<string, RecordBatch> batches = HipoArrow.ToRecordBatches(Reader.Schemas, Reader.ReadEvents(0, 10));
        try
        {
            Assert.Equal(Reader.Schemas.Select(s => s.Name), batches.Keys.Order(StringComparer.Ordinal));
            foreach (Schema s in Reader.Schemas)
            {
                using RecordBatch single = HipoArrow.ToRecordBatch(Reader, s, 0, 10);
                Assert.Equal(single.Length, batches[s.Name].Length);
                for (int c = 0; c < single.ColumnCount; c++)
                {
                    for (int i = 0; i < single.Length; i++)
                    {
                        Assert.Equal(Value(single.Column(c), i), Value(batches[s.Name].Column(c), i));
                    }
                }
            }
            Assert.Equal(10, batches["REC::Event"].Length);
            Assert.Equal(9, batches["REC::Particle"].Length);
        }
        finally
        {
            foreach (RecordBatch b in batches.Values)
            {
                b.Dispose();
            }
        }
    }

    [Fact]
    public void The_batch_survives_arrow_ipc()
    {
        using RecordBatch batch = HipoArrow.ToRecordBatch(Clas12Schemas.RecEvent, Reader.ReadEvents());
        using var ms = new MemoryStream();
        using (var writer = new ArrowStreamWriter(ms, batch.Schema, leaveOpen: true))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }
        ms.Position = 0;
        using var reader = new ArrowStreamReader(ms);
        using RecordBatch back = reader.ReadNextRecordBatch();
        Assert.Equal(20, back.Length);
        Assert.Equal(0.9 + (7 / 1024.0), ((DoubleArray)back.Column("liveTime")).GetValue(7));
        Assert.Equal((1L << 40) + 19, ((Int64Array)back.Column("category")).GetValue(19));
    }

    private static double Value(IArrowArray array, int i) => array switch
    {
        Int8Array a => a.GetValue(i)!.Value,
        Int16Array a => a.GetValue(i)!.Value,
        Int32Array a => a.GetValue(i)!.Value,
        Int64Array a => a.GetValue(i)!.Value,
        FloatArray a => a.GetValue(i)!.Value,
        DoubleArray a => a.GetValue(i)!.Value,
        _ => throw new InvalidOperationException(array.GetType().Name),
    };
}

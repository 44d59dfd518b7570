using System.Buffers.Binary;
using Apache.Arrow;
using Apache.Arrow.Types;
using ArrowSchema = Apache.Arrow.Schema;

namespace Streams.Formats.Hipo;

/// <summary>
/// Turns one bank of a range of events into an Apache Arrow record batch: one Arrow row per
/// bank row, a leading <c>event</c> column (Int64, the event's file index) then one column per
/// schema entry (B→Int8, S→Int16, I→Int32, L→Int64, F→Float, D→Double), no nulls. HIPO columns
/// are already contiguous little-endian arrays, so each is copied in one block per event.
/// </summary>
public static class HipoArrow
{
    /// <summary>Name of the event-index column.</summary>
    public const string EventColumn = "event";

    /// <summary>The Arrow schema <see cref="ToRecordBatch(Schema, IEnumerable{HipoEvent})"/> produces for a bank.</summary>
    public static ArrowSchema ToArrowSchema(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.IndexOf(EventColumn) >= 0)
        {
            throw new ArgumentException($"{schema.Name} has its own '{EventColumn}' column", nameof(schema));
        }
        var builder = new ArrowSchema.Builder()
            .Field(f => f.Name(EventColumn).DataType(Int64Type.Default).Nullable(false));
        foreach (SchemaEntry e in schema.Entries)
        {
            builder.Field(f => f.Name(e.Name).DataType(ArrowType(e.Type)).Nullable(false));
        }
        return builder
            .Metadata("hipo.bank", schema.Name)
            .Metadata("hipo.group", schema.Group.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Metadata("hipo.item", schema.Item.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Metadata("hipo.schema", schema.ToCompactString())
            .Build();
    }

    /// <summary>
    /// The rows of bank <paramref name="schema"/> in <paramref name="events"/>, with each row's
    /// <see cref="HipoEvent.Index"/> in the <c>event</c> column. Events without the bank add no rows.
    /// </summary>
    public static RecordBatch ToRecordBatch(Schema schema, IEnumerable<HipoEvent> events)
    {
        ArrowSchema arrowSchema = ToArrowSchema(schema);
        ArgumentNullException.ThrowIfNull(events);
        var banks = new List<(long Event, Bank Bank)>();
        foreach (HipoEvent e in events)
        {
            if (e.TryGetBank(schema, out Bank? bank) && bank.Rows > 0)
            {
                banks.Add((e.Index, bank));
            }
        }
        return Build(schema, arrowSchema, banks);
    }

    /// <summary>
    /// One record batch per schema of <paramref name="schemas"/> (by bank name), from a single
    /// pass over <paramref name="events"/>; a bank no event holds gets an empty batch.
    /// </summary>
    public static IReadOnlyDictionary<string, RecordBatch> ToRecordBatches(SchemaDictionary schemas, IEnumerable<HipoEvent> events)
    {
        ArgumentNullException.ThrowIfNull(schemas);
        ArgumentNullException.ThrowIfNull(events);
        var arrowSchemas = schemas.ToDictionary(s => s.Name, ToArrowSchema, StringComparer.Ordinal);
        var banks = schemas.ToDictionary(s => s.Name, _ => new List<(long Event, Bank Bank)>(), StringComparer.Ordinal);
        foreach (HipoEvent e in events)
        {
            foreach (Bank bank in e.GetBanks(schemas))
            {
                if (bank.Rows > 0)
                {
                    banks[bank.Schema.Name].Add((e.Index, bank));
                }
            }
        }
        return schemas.ToDictionary(s => s.Name, s => Build(s, arrowSchemas[s.Name], banks[s.Name]), StringComparer.Ordinal);
    }

    private static RecordBatch Build(Schema schema, ArrowSchema arrowSchema, List<(long Event, Bank Bank)> banks)
    {
        long total = 0;
        foreach (var (_, bank) in banks)
        {
            total += bank.Rows;
        }
        if (total * Math.Max(8, schema.RowLength) > System.Array.MaxLength)
        {
            throw new ArgumentException($"{total} rows of {schema.Name} do not fit one record batch", nameof(banks));
        }
        int rows = (int)total;
        var eventIndex = new byte[rows * 8];
        int at = 0;
        foreach (var (index, bank) in banks)
        {
            for (int r = 0; r < bank.Rows; r++, at++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(eventIndex.AsSpan(at * 8), index);
            }
        }
        var arrays = new List<IArrowArray>(schema.Entries.Count + 1)
        {
            new Int64Array(new ArrowBuffer(eventIndex), ArrowBuffer.Empty, rows, 0, 0),
        };
        for (int c = 0; c < schema.Entries.Count; c++)
        {
            SchemaEntry entry = schema[c];
            var values = new byte[rows * entry.Size];
            int offset = 0;
            foreach (var (_, bank) in banks)
            {
                ReadOnlySpan<byte> column = bank.GetColumnBytes(c);
                column.CopyTo(values.AsSpan(offset));
                offset += column.Length;
            }
            arrays.Add(MakeArray(entry.Type, new ArrowBuffer(values), rows));
        }
        return new RecordBatch(arrowSchema, arrays, rows);
    }

    /// <summary>The rows of bank <paramref name="schema"/> in events <paramref name="start"/> .. start + count - 1 of a file.</summary>
    public static RecordBatch ToRecordBatch(HipoReader reader, Schema schema, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ToRecordBatch(schema, reader.ReadEvents(start, count));
    }

    /// <summary>The Arrow type of a HIPO column type (B, S, I, L, F, D).</summary>
    public static IArrowType ArrowType(HipoType type) => type switch
    {
        HipoType.Byte => Int8Type.Default,
        HipoType.Short => Int16Type.Default,
        HipoType.Int => Int32Type.Default,
        HipoType.Long => Int64Type.Default,
        HipoType.Float => FloatType.Default,
        HipoType.Double => DoubleType.Default,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a HIPO type"),
    };

    /// <summary>
    /// An Arrow array of <paramref name="rows"/> values of a HIPO column type over <paramref name="values"/>: Arrow's
    /// fixed-width arrays are little-endian value buffers, the HIPO column bytes as they are.
    /// </summary>
    public static IArrowArray MakeArray(HipoType type, ArrowBuffer values, int rows) => type switch
    {
        HipoType.Byte => new Int8Array(values, ArrowBuffer.Empty, rows, 0, 0),
        HipoType.Short => new Int16Array(values, ArrowBuffer.Empty, rows, 0, 0),
        HipoType.Int => new Int32Array(values, ArrowBuffer.Empty, rows, 0, 0),
        HipoType.Long => new Int64Array(values, ArrowBuffer.Empty, rows, 0, 0),
        HipoType.Float => new FloatArray(values, ArrowBuffer.Empty, rows, 0, 0),
        HipoType.Double => new DoubleArray(values, ArrowBuffer.Empty, rows, 0, 0),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a HIPO type"),
    };
}

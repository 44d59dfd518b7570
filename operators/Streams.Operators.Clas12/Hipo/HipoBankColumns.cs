using System.Buffers.Binary;
using Apache.Arrow;
using Apache.Arrow.Types;
using Streams.Formats.Hipo;
using HipoSchema = Streams.Formats.Hipo.Schema;

namespace Streams.Operators.Clas12.Hipo;

/// <summary>
/// HIPO banks as Arrow columns of an event batch (<c>arrow/hipo</c>): one row per event, one list column per bank entry,
/// named <c>BANK.entry</c> (<c>REC::Particle.px</c>); each list holds the bank's rows in that event (empty when the event
/// lacks the bank). Types as HIPO's: B Int8, S Int16, I Int32, L Int64, F Float, D Double. Every field carries its
/// bank's compact schema string in its metadata (<c>hipo.schema</c>), so that hipo-file-sink can write the banks back.
/// </summary>
internal static class HipoBankColumns
{
    public const string DataType = "arrow/hipo";

    /// <summary>Field metadata key: the bank's compact schema string.</summary>
    public const string SchemaKey = "hipo.schema";

    public static string ColumnName(HipoSchema schema, SchemaEntry entry) => $"{schema.Name}.{entry.Name}";

    /// <summary>The list columns of <paramref name="schemas"/> for <paramref name="events"/> (one row each).</summary>
    public static (List<Field> Fields, List<IArrowArray> Arrays) Build(IReadOnlyList<HipoSchema> schemas, IReadOnlyList<HipoEvent> events)
    {
        var fields = new List<Field>();
        var arrays = new List<IArrowArray>();
        var banks = new Bank[events.Count];
        foreach (var schema in schemas)
        {
            var offsets = new byte[(events.Count + 1) * 4];
            long rows = 0;
            for (var i = 0; i < events.Count; i++)
            {
                banks[i] = events[i].GetBank(schema);
                BinaryPrimitives.WriteInt32LittleEndian(offsets.AsSpan(i * 4), checked((int)rows));
                rows += banks[i].Rows;
            }

            BinaryPrimitives.WriteInt32LittleEndian(offsets.AsSpan(events.Count * 4), checked((int)rows));
            var metadata = new Dictionary<string, string> { [SchemaKey] = schema.ToCompactString() };
            var offsetBuffer = new ArrowBuffer(offsets); // shared by the bank's columns
            for (var c = 0; c < schema.Entries.Count; c++)
            {
                var entry = schema[c];
                var values = new byte[checked((int)rows * entry.Size)];
                var at = 0;
                foreach (var bank in banks)
                {
                    var column = bank.GetColumnBytes(c);
                    column.CopyTo(values.AsSpan(at));
                    at += column.Length;
                }

                var valueType = HipoArrow.ArrowType(entry.Type);
                var listType = new ListType(new Field("item", valueType, false));
                fields.Add(new Field(ColumnName(schema, entry), listType, false, metadata));
                arrays.Add(new ListArray(listType, events.Count, offsetBuffer, HipoArrow.MakeArray(entry.Type, new ArrowBuffer(values), (int)rows), ArrowBuffer.Empty, 0));
            }
        }

        return (fields, arrays);
    }

    /// <summary>The banks whose columns a batch carries (from the fields' <c>hipo.schema</c> metadata), in column order.</summary>
    public static List<HipoSchema> SchemasOf(RecordBatch records)
    {
        var found = new List<HipoSchema>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in records.Schema.FieldsList)
        {
            if (f.Metadata?.GetValueOrDefault(SchemaKey) is not { } text || !seen.Add(text)) continue;
            found.Add(HipoSchema.Parse(text));
        }

        return found;
    }

    /// <summary>The list columns of each bank of <paramref name="schemas"/> in a batch, in schema entry order (looked up once per batch).</summary>
    public static ListArray[][] Columns(RecordBatch records, IReadOnlyList<HipoSchema> schemas)
    {
        var all = new ListArray[schemas.Count][];
        for (var b = 0; b < schemas.Count; b++)
        {
            var schema = schemas[b];
            all[b] = new ListArray[schema.Entries.Count];
            for (var c = 0; c < schema.Entries.Count; c++)
            {
                var name = ColumnName(schema, schema[c]);
                all[b][c] = records.Schema.GetFieldIndex(name) >= 0 && records.Column(name) is ListArray l
                    ? l
                    : throw new InvalidOperationException($"batch has no list column '{name}' of bank {schema.Name}");
            }
        }

        return all;
    }

    /// <summary>Adds the banks of row <paramref name="row"/> to <paramref name="ev"/> (banks with no rows are skipped).</summary>
    public static void AddBanks(ListArray[][] columns, IReadOnlyList<HipoSchema> schemas, int row, HipoEventBuilder ev)
    {
        for (var b = 0; b < schemas.Count; b++)
        {
            var lists = columns[b];
            var rows = lists[0].GetValueLength(row);
            if (rows == 0) continue;
            var bank = new BankBuilder(schemas[b], rows);
            for (var c = 0; c < lists.Length; c++)
            {
                if (lists[c].GetValueLength(row) != rows) throw new InvalidOperationException($"{schemas[b].Name}: columns of event row {row} differ in length");
                var start = lists[c].ValueOffsets[row];
                var values = lists[c].Values;
                for (var r = 0; r < rows; r++) Put(bank, c, r, values, start + r);
            }

            ev.AddBank(bank);
        }
    }

    private static void Put(BankBuilder bank, int column, int row, IArrowArray values, int index)
    {
        switch (values)
        {
            case Int8Array a: bank.PutByte(column, row, a.GetValue(index) ?? 0); break;
            case Int16Array a: bank.PutShort(column, row, a.GetValue(index) ?? 0); break;
            case Int32Array a: bank.PutInt(column, row, a.GetValue(index) ?? 0); break;
            case Int64Array a: bank.PutLong(column, row, a.GetValue(index) ?? 0); break;
            case FloatArray a: bank.PutFloat(column, row, a.GetValue(index) ?? 0); break;
            case DoubleArray a: bank.PutDouble(column, row, a.GetValue(index) ?? 0); break;
            default: throw new InvalidOperationException($"{bank.Schema.Name}: column {bank.Schema[column].Name} has Arrow type {values.Data.DataType.Name}, not a HIPO type");
        }
    }
}

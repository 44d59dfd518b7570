using Apache.Arrow;
using Apache.Arrow.Types;

namespace Streams.Operators.Clas12.Decoding;

/// <summary>A list column under construction: one row per event, a list of values per row.</summary>
internal sealed class ListColumn<TBuilder>
    where TBuilder : IArrowArrayBuilder
{
    private readonly ListArray.Builder _builder;

    public ListColumn(string name, IArrowType valueType)
    {
        Name = name;
        ValueType = valueType;
        _builder = new ListArray.Builder(valueType);
        Values = (TBuilder)_builder.ValueBuilder;
    }

    public string Name { get; }

    public IArrowType ValueType { get; }

    /// <summary>Append values here after <see cref="StartRow"/>.</summary>
    public TBuilder Values { get; }

    public void StartRow() => _builder.Append();

    public Field Field => new(Name, new ListType(ValueType), false);

    public IArrowArray Build() => _builder.Build(Streams.Engine.Batches.ManagedArrowMemory.Allocator);
}

/// <summary>Reading list columns, and extending record batches.</summary>
internal static class ListColumns
{
    /// <summary>The input's columns (shared, not copied) followed by new ones.</summary>
    public static RecordBatch Extend(RecordBatch input, IReadOnlyList<(Field Field, IArrowArray Array)> added)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(added);
        var fields = new List<Field>(input.Schema.FieldsList);
        var arrays = new List<IArrowArray>(input.Arrays);
        foreach (var (f, a) in added)
        {
            fields.Add(f);
            arrays.Add(a);
        }

        return new RecordBatch(new Schema(fields, null), arrays, input.Length);
    }

    public static ListArray Column(RecordBatch batch, string name)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Schema.GetFieldIndex(name) >= 0 && batch.Column(name) is ListArray l
            ? l
            : throw new InvalidOperationException($"batch has no list column '{name}' (was it decoded by clas12-decode?)");
    }

    /// <summary>The [start, end) of row <paramref name="row"/>'s values in the list column's value array.</summary>
    public static (int Start, int End) Range(ListArray list, int row)
    {
        ArgumentNullException.ThrowIfNull(list);
        var offsets = list.ValueOffsets;
        return (offsets[row], offsets[row + 1]);
    }
}

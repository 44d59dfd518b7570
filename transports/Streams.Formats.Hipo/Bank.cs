using System.Buffers.Binary;

namespace Streams.Formats.Hipo;

/// <summary>
/// A bank: one structure of an event read through its <see cref="Hipo.Schema"/>. The data are
/// column-major with no row count stored anywhere: rows = data length / row length (trailing
/// bytes short of a whole row are ignored, as the C++ reader does), and value (column k, row r)
/// lies at <c>rows * offset_k + r * size_k</c>. Values are unaligned little-endian. A bank views
/// the event's memory; it copies nothing.
/// </summary>
public sealed class Bank
{
    /// <summary>A bank over <paramref name="data"/> (the structure's payload, without its 8-byte header).</summary>
    public Bank(Schema schema, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(schema);
        Schema = schema;
        Rows = data.Length / schema.RowLength;
        Data = data[..(Rows * schema.RowLength)];
    }

    /// <summary>An empty bank (what an event without this bank yields).</summary>
    public static Bank Empty(Schema schema) => new(schema, ReadOnlyMemory<byte>.Empty);

    /// <summary>The bank's definition.</summary>
    public Schema Schema { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>The column-major payload (whole rows only).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The bytes of one column: <see cref="Rows"/> values of its type, little endian.</summary>
    public ReadOnlySpan<byte> GetColumnBytes(int column)
    {
        SchemaEntry e = Schema[column];
        return Data.Span.Slice(Rows * e.RowOffset, Rows * e.Size);
    }

    /// <summary>A <c>B</c> value.</summary>
    public sbyte GetByte(int column, int row) => (sbyte)Span(column, row, HipoType.Byte)[0];

    /// <summary>A <c>B</c> or <c>S</c> value.</summary>
    public short GetShort(int column, int row) => Schema[column].Type == HipoType.Byte
        ? GetByte(column, row)
        : BinaryPrimitives.ReadInt16LittleEndian(Span(column, row, HipoType.Short));

    /// <summary>A <c>B</c>, <c>S</c> or <c>I</c> value.</summary>
    public int GetInt(int column, int row) => Schema[column].Type switch
    {
        HipoType.Byte or HipoType.Short => GetShort(column, row),
        _ => BinaryPrimitives.ReadInt32LittleEndian(Span(column, row, HipoType.Int)),
    };

    /// <summary>A <c>B</c>, <c>S</c>, <c>I</c> or <c>L</c> value.</summary>
    public long GetLong(int column, int row) => Schema[column].Type switch
    {
        HipoType.Byte or HipoType.Short or HipoType.Int => GetInt(column, row),
        _ => BinaryPrimitives.ReadInt64LittleEndian(Span(column, row, HipoType.Long)),
    };

    /// <summary>An <c>F</c> value.</summary>
    public float GetFloat(int column, int row) =>
        BinaryPrimitives.ReadSingleLittleEndian(Span(column, row, HipoType.Float));

    /// <summary>An <c>F</c> or <c>D</c> value.</summary>
    public double GetDouble(int column, int row) => Schema[column].Type == HipoType.Float
        ? GetFloat(column, row)
        : BinaryPrimitives.ReadDoubleLittleEndian(Span(column, row, HipoType.Double));

    /// <summary>Any value widened to double (integers exactly up to 2^53).</summary>
    public double GetAsDouble(int column, int row) => Schema[column].Type switch
    {
        HipoType.Float or HipoType.Double => GetDouble(column, row),
        _ => GetLong(column, row),
    };

    /// <summary>A <c>B</c> value by column name.</summary>
    public sbyte GetByte(string column, int row) => GetByte(Schema.GetIndex(column), row);

    /// <summary>A <c>B</c> or <c>S</c> value by column name.</summary>
    public short GetShort(string column, int row) => GetShort(Schema.GetIndex(column), row);

    /// <summary>A <c>B</c>, <c>S</c> or <c>I</c> value by column name.</summary>
    public int GetInt(string column, int row) => GetInt(Schema.GetIndex(column), row);

    /// <summary>An integer value of any width by column name.</summary>
    public long GetLong(string column, int row) => GetLong(Schema.GetIndex(column), row);

    /// <summary>An <c>F</c> value by column name.</summary>
    public float GetFloat(string column, int row) => GetFloat(Schema.GetIndex(column), row);

    /// <summary>An <c>F</c> or <c>D</c> value by column name.</summary>
    public double GetDouble(string column, int row) => GetDouble(Schema.GetIndex(column), row);

    /// <summary>Any value widened to double, by column name.</summary>
    public double GetAsDouble(string column, int row) => GetAsDouble(Schema.GetIndex(column), row);

    private ReadOnlySpan<byte> Span(int column, int row, HipoType expected)
    {
        SchemaEntry e = Schema[column];
        if (e.Type != expected)
        {
            throw new InvalidOperationException($"{Schema.Name}.{e.Name} is {e.Type}, not {expected}");
        }
        if ((uint)row >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"{Schema.Name} has {Rows} rows");
        }
        return Data.Span.Slice((Rows * e.RowOffset) + (row * e.Size), e.Size);
    }
}

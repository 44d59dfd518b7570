using System.Buffers.Binary;

namespace Streams.Formats.Hipo;

/// <summary>
/// Fills the column-major payload of a bank with a fixed number of rows, to add to a
/// <see cref="HipoEventBuilder"/>. Setters take the column's exact type.
/// </summary>
public sealed class BankBuilder
{
    private readonly byte[] _data;

    /// <summary>A bank of <paramref name="rows"/> rows, all values zero.</summary>
    public BankBuilder(Schema schema, int rows)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        // The structure length field has 24 bits.
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)rows * schema.RowLength, 0xFFFFFF, nameof(rows));
        Schema = schema;
        Rows = rows;
        _data = new byte[rows * schema.RowLength];
    }

    /// <summary>The bank's definition.</summary>
    public Schema Schema { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>The payload as written into the event.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>A read view of what was filled in.</summary>
    public Bank ToBank() => new(Schema, _data);

    /// <summary>Sets a <c>B</c> value.</summary>
    public BankBuilder PutByte(int column, int row, sbyte value)
    {
        Slot(column, row, HipoType.Byte)[0] = (byte)value;
        return this;
    }

    /// <summary>Sets an <c>S</c> value.</summary>
    public BankBuilder PutShort(int column, int row, short value)
    {
        BinaryPrimitives.WriteInt16LittleEndian(Slot(column, row, HipoType.Short), value);
        return this;
    }

    /// <summary>Sets an <c>I</c> value.</summary>
    public BankBuilder PutInt(int column, int row, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(Slot(column, row, HipoType.Int), value);
        return this;
    }

    /// <summary>Sets an <c>L</c> value.</summary>
    public BankBuilder PutLong(int column, int row, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(Slot(column, row, HipoType.Long), value);
        return this;
    }

    /// <summary>Sets an <c>F</c> value.</summary>
    public BankBuilder PutFloat(int column, int row, float value)
    {
        BinaryPrimitives.WriteSingleLittleEndian(Slot(column, row, HipoType.Float), value);
        return this;
    }

    /// <summary>Sets a <c>D</c> value.</summary>
    public BankBuilder PutDouble(int column, int row, double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(Slot(column, row, HipoType.Double), value);
        return this;
    }

    /// <summary>Sets a <c>B</c> value by column name.</summary>
    public BankBuilder PutByte(string column, int row, sbyte value) => PutByte(Schema.GetIndex(column), row, value);

    /// <summary>Sets an <c>S</c> value by column name.</summary>
    public BankBuilder PutShort(string column, int row, short value) => PutShort(Schema.GetIndex(column), row, value);

    /// <summary>Sets an <c>I</c> value by column name.</summary>
    public BankBuilder PutInt(string column, int row, int value) => PutInt(Schema.GetIndex(column), row, value);

    /// <summary>Sets an <c>L</c> value by column name.</summary>
    public BankBuilder PutLong(string column, int row, long value) => PutLong(Schema.GetIndex(column), row, value);

    /// <summary>Sets an <c>F</c> value by column name.</summary>
    public BankBuilder PutFloat(string column, int row, float value) => PutFloat(Schema.GetIndex(column), row, value);

    /// <summary>Sets a <c>D</c> value by column name.</summary>
    public BankBuilder PutDouble(string column, int row, double value) => PutDouble(Schema.GetIndex(column), row, value);

    private Span<byte> Slot(int column, int row, HipoType expected)
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
        return _data.AsSpan((Rows * e.RowOffset) + (row * e.Size), e.Size);
    }
}

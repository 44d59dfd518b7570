using System.Buffers.Binary;

namespace Streams.Formats.Hipo;

/// <summary>
/// Builds the bytes of one HIPO 4 event: the 16-byte <c>"EVNT"</c> header then structures back
/// to back. Banks with no rows are skipped, as the C++ <c>event::addStructure</c> does.
/// </summary>
public sealed class HipoEventBuilder
{
    private byte[] _buffer = new byte[256];
    private int _length = Layout.EventHeaderBytes;

    /// <summary>An empty event with the given tag.</summary>
    public HipoEventBuilder(int tag = 0) => Tag = tag;

    /// <summary>The event tag (the writer starts a new record when it changes).</summary>
    public int Tag { get; set; }

    /// <summary>Bytes of the event so far, header included.</summary>
    public int Length => _length;

    /// <summary>Removes all structures.</summary>
    public HipoEventBuilder Clear()
    {
        _length = Layout.EventHeaderBytes;
        return this;
    }

    /// <summary>Adds a bank (type 11); nothing when it has no rows.</summary>
    public HipoEventBuilder AddBank(BankBuilder bank)
    {
        ArgumentNullException.ThrowIfNull(bank);
        return AddBankData(bank.Schema, bank.Data);
    }

    /// <summary>Adds a copy of a bank read elsewhere; nothing when it has no rows.</summary>
    public HipoEventBuilder AddBank(Bank bank)
    {
        ArgumentNullException.ThrowIfNull(bank);
        return AddBankData(bank.Schema, bank.Data.Span);
    }

    /// <summary>Adds any structure; <paramref name="data"/> must fit the 24-bit length field.</summary>
    public HipoEventBuilder AddStructure(int group, int item, int type, ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(group);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(group, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(item, byte.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(type);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(type, byte.MaxValue);
        if (data.Length > 0xFFFFFF)
        {
            throw new ArgumentException("a structure holds at most 16 MiB - 1", nameof(data));
        }
        int need = _length + Layout.StructureHeaderBytes + data.Length;
        if (need > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(need, Math.Min(Array.MaxLength, _buffer.Length * 2)));
        }
        Span<byte> h = _buffer.AsSpan(_length, Layout.StructureHeaderBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(h, (ushort)group);
        h[2] = (byte)item;
        h[3] = (byte)type;
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)data.Length);
        data.CopyTo(_buffer.AsSpan(_length + Layout.StructureHeaderBytes));
        _length = need;
        return this;
    }

    /// <summary>The finished event bytes.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[_length];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>Writes the finished event into <paramref name="destination"/> (at least <see cref="Length"/> bytes).</summary>
    public void CopyTo(Span<byte> destination)
    {
        _buffer.AsSpan(0, _length).CopyTo(destination);
        BinaryPrimitives.WriteInt32LittleEndian(destination, Layout.EventMagic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], _length);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], Tag);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], 0);
    }

    /// <summary>The finished event, parsed.</summary>
    public HipoEvent ToEvent() => HipoEvent.Parse(ToArray());

    private HipoEventBuilder AddBankData(Schema schema, ReadOnlySpan<byte> data) =>
        data.Length == 0 ? this : AddStructure(schema.Group, schema.Item, Layout.BankType, data);
}

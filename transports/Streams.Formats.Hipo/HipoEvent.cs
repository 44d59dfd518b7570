using System.Buffers.Binary;

namespace Streams.Formats.Hipo;

/// <summary>
/// One structure (node) of an event: 8-byte header <c>uint16 group, uint8 item, uint8 type,
/// uint32 word</c> where bits 0-23 of the word are the payload length and bits 24-31 a
/// "header size" used by composites (0 for banks). Type 11 is a bank, 6 a string.
/// </summary>
/// <param name="Group">Group number.</param>
/// <param name="Item">Item number.</param>
/// <param name="Type">Structure type (11 bank, 6 string, 10 composite).</param>
/// <param name="HeaderSize">Top byte of the length word.</param>
/// <param name="Offset">Byte offset of the structure header within the event.</param>
/// <param name="Data">The payload, without the 8-byte header.</param>
public readonly record struct HipoStructure(int Group, int Item, int Type, int HeaderSize, int Offset, ReadOnlyMemory<byte> Data);

/// <summary>
/// A HIPO 4 event: a 16-byte header (<c>"EVNT"</c>, uint32 size including the header, uint32
/// tag, uint32 reserved) then structures back to back with no padding. Parsing lists the
/// structures once; banks are then views on the event's bytes.
/// </summary>
public sealed class HipoEvent
{
    private readonly HipoStructure[] _structures;

    private HipoEvent(ReadOnlyMemory<byte> data, int tag, HipoStructure[] structures, long index)
    {
        Data = data;
        Tag = tag;
        _structures = structures;
        Index = index;
    }

    /// <summary>The event's bytes, header included.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The event tag (0 normally).</summary>
    public int Tag { get; }

    /// <summary>Position of the event in its file, or -1 for an event not read from a file.</summary>
    public long Index { get; }

    /// <summary>The structures in file order.</summary>
    public IReadOnlyList<HipoStructure> Structures => _structures;

    /// <summary>Finds the first structure with this group and item.</summary>
    public bool TryGetStructure(int group, int item, out HipoStructure structure)
    {
        foreach (HipoStructure s in _structures)
        {
            if (s.Group == group && s.Item == item)
            {
                structure = s;
                return true;
            }
        }
        structure = default;
        return false;
    }

    /// <summary>True when the event holds a structure of the schema's group and item.</summary>
    public bool HasBank(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return TryGetStructure(schema.Group, schema.Item, out _);
    }

    /// <summary>The bank of <paramref name="schema"/>, or false when the event lacks it.</summary>
    public bool TryGetBank(Schema schema, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Bank? bank)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (TryGetStructure(schema.Group, schema.Item, out HipoStructure s))
        {
            bank = new Bank(schema, s.Data);
            return true;
        }
        bank = null;
        return false;
    }

    /// <summary>The bank with this group and item, read through its schema in <paramref name="schemas"/>.</summary>
    public bool TryGetBank(SchemaDictionary schemas, int group, int item, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Bank? bank)
    {
        ArgumentNullException.ThrowIfNull(schemas);
        bank = null;
        return schemas.TryGet(group, item, out Schema? schema) && TryGetBank(schema, out bank);
    }

    /// <summary>The structures that <paramref name="schemas"/> defines, as banks, in file order.</summary>
    public IEnumerable<Bank> GetBanks(SchemaDictionary schemas)
    {
        ArgumentNullException.ThrowIfNull(schemas);
        return _structures
            .Where(s => s.Type == Layout.BankType)
            .Select(s => schemas.TryGet(s.Group, s.Item, out Schema? schema) ? new Bank(schema, s.Data) : null)
            .OfType<Bank>();
    }

    /// <summary>
    /// The bank of <paramref name="schema"/>; an empty bank (0 rows) when absent. Writers drop
    /// banks with no rows, so absence and zero rows mean the same.
    /// </summary>
    public Bank GetBank(Schema schema) => TryGetBank(schema, out Bank? b) ? b : Bank.Empty(schema);

    /// <summary>
    /// Parses an event. Malformed bytes give a <see cref="HipoFormatException"/> whose offset is
    /// <paramref name="baseOffset"/> plus the position in <paramref name="data"/>.
    /// </summary>
    public static HipoEvent Parse(ReadOnlyMemory<byte> data, long baseOffset = 0) => Parse(data, -1, baseOffset, null);

    /// <summary>
    /// Parses an event of a decompressed record: faults carry the record's file offset
    /// (<paramref name="baseOffset"/>) and name <paramref name="origin"/>, built only on failure.
    /// </summary>
    internal static HipoEvent Parse(ReadOnlyMemory<byte> data, long index, long baseOffset, EventOrigin? origin)
    {
        ReadOnlySpan<byte> span = data.Span;
        if (span.Length < Layout.EventHeaderBytes)
        {
            throw Fault($"event of {span.Length} bytes is shorter than its 16-byte header", baseOffset, origin, 0);
        }
        // The C++ reader never checks the "EVNT" word; a non-HIPO payload is better refused.
        if (BinaryPrimitives.ReadInt32LittleEndian(span) != Layout.EventMagic)
        {
            throw Fault("event does not start with \"EVNT\"", baseOffset, origin, 0);
        }
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(span[4..]);
        // The size word bounds the structure walk (event.cpp); it must lie inside the slot the
        // record's index array gave the event. A smaller size leaves the rest of the slot unused.
        if (size < Layout.EventHeaderBytes || size > (uint)span.Length)
        {
            throw Fault($"event size {size} outside 16..{span.Length}", baseOffset, origin, 4);
        }
        int tag = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        int end = (int)size;
        int count = 0;
        for (int pos = Layout.EventHeaderBytes; pos + Layout.StructureHeaderBytes <= end; count++)
        {
            pos = NextStructure(span, pos, end, baseOffset, origin);
        }
        var structures = new HipoStructure[count];
        int p = Layout.EventHeaderBytes;
        for (int i = 0; i < count; i++)
        {
            int next = NextStructure(span, p, end, baseOffset, origin);
            uint word = BinaryPrimitives.ReadUInt32LittleEndian(span[(p + 4)..]);
            structures[i] = new HipoStructure(
                BinaryPrimitives.ReadUInt16LittleEndian(span[p..]), span[p + 2], span[p + 3], (int)(word >> 24), p,
                data.Slice(p + Layout.StructureHeaderBytes, next - p - Layout.StructureHeaderBytes));
            p = next;
        }
        // 1..7 bytes after the last structure cannot hold a header; the C++ walk skips them too.
        return new HipoEvent(data[..end], tag, structures, index);
    }

    private static int NextStructure(ReadOnlySpan<byte> span, int pos, int end, long baseOffset, EventOrigin? where)
    {
        // Only the low 24 bits are the length; the top byte is the composite header size.
        int length = (int)(BinaryPrimitives.ReadUInt32LittleEndian(span[(pos + 4)..]) & 0xFFFFFF);
        if (length > end - pos - Layout.StructureHeaderBytes)
        {
            throw Fault($"structure length {length} runs past the event end {end}", baseOffset, where, pos + 4);
        }
        return pos + Layout.StructureHeaderBytes + length;
    }

    private static HipoFormatException Fault(string message, long baseOffset, EventOrigin? where, int at) =>
        where is { } o
            ? new HipoFormatException($"{message} (event {o.Event} of the {o.Record}, its byte {at}; record header)", baseOffset)
            : new HipoFormatException(message, baseOffset + at);
}

/// <summary>Which record an event came from, for fault messages.</summary>
internal readonly record struct EventOrigin(string Record, int Event);

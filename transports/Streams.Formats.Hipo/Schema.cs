using System.Globalization;
using System.Text;

namespace Streams.Formats.Hipo;

/// <summary>One column of a <see cref="Schema"/>: its name, type and byte offset within a row.</summary>
/// <param name="Name">Column name, e.g. <c>px</c>.</param>
/// <param name="Type">Column type.</param>
/// <param name="RowOffset">Sum of the sizes of the columns before this one.</param>
public readonly record struct SchemaEntry(string Name, HipoType Type, int RowOffset)
{
    /// <summary>Bytes one value of this column takes.</summary>
    public int Size => HipoTypes.SizeOf(Type);
}

/// <summary>
/// A HIPO 4 bank definition: name, group (0..65535), item (0..255) and typed columns. The compact
/// string form is the one the dictionary record carries in structure (120,2):
/// <c>{DC::tdc/20600/12}{sector/B,layer/B,component/S,order/B,TDC/I}</c>.
/// </summary>
public sealed class Schema
{
    private readonly SchemaEntry[] _entries;
    private readonly Dictionary<string, int> _byName;

    /// <summary>Builds a schema from (column name, type) pairs in row order.</summary>
    public Schema(string name, int group, int item, IEnumerable<(string Name, HipoType Type)> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (!IsValidName(name))
        {
            throw new ArgumentException($"bad schema name '{name}'", nameof(name));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(group);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(group, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(item, byte.MaxValue);
        Name = name;
        Group = group;
        Item = item;
        var entries = new List<SchemaEntry>();
        _byName = new Dictionary<string, int>(StringComparer.Ordinal);
        int offset = 0;
        foreach (var (columnName, type) in columns)
        {
            if (!IsValidName(columnName))
            {
                throw new ArgumentException($"bad column name '{columnName}' in {name}", nameof(columns));
            }
            if (!_byName.TryAdd(columnName, entries.Count))
            {
                throw new ArgumentException($"column '{columnName}' twice in {name}", nameof(columns));
            }
            entries.Add(new SchemaEntry(columnName, type, offset));
            offset += HipoTypes.SizeOf(type);
        }
        if (entries.Count == 0)
        {
            throw new ArgumentException($"schema {name} has no columns", nameof(columns));
        }
        _entries = [.. entries];
        RowLength = offset;
    }

    /// <summary>Bank name, e.g. <c>REC::Particle</c>.</summary>
    public string Name { get; }

    /// <summary>Group number (16 bits in the structure header).</summary>
    public int Group { get; }

    /// <summary>Item number (8 bits in the structure header).</summary>
    public int Item { get; }

    /// <summary>Bytes of one row: the sum of the column sizes.</summary>
    public int RowLength { get; }

    /// <summary>Columns in row order.</summary>
    public IReadOnlyList<SchemaEntry> Entries => _entries;

    /// <summary>The column at <paramref name="index"/>.</summary>
    [System.Runtime.CompilerServices.IndexerName("Column")]
    public SchemaEntry this[int index] => _entries[index];

    /// <summary>Index of the named column, or -1.</summary>
    public int IndexOf(string column) => _byName.TryGetValue(column, out int i) ? i : -1;

    /// <summary>Index of the named column; throws <see cref="ArgumentException"/> when absent.</summary>
    public int GetIndex(string column) =>
        _byName.TryGetValue(column, out int i) ? i : throw new ArgumentException($"{Name} has no column '{column}'", nameof(column));

    /// <summary>The compact dictionary string, <c>{name/group/item}{col/T,...}</c>.</summary>
    public string ToCompactString()
    {
        var sb = new StringBuilder();
        sb.Append('{').Append(Name).Append('/').Append(Group.ToString(CultureInfo.InvariantCulture))
          .Append('/').Append(Item.ToString(CultureInfo.InvariantCulture)).Append("}{");
        for (int i = 0; i < _entries.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }
            sb.Append(_entries[i].Name).Append('/').Append(HipoTypes.ToLetter(_entries[i].Type));
        }
        return sb.Append('}').ToString();
    }

    /// <summary>The JSON form the C++ writer stores in structure (120,1) next to the compact one.</summary>
    public string ToJson()
    {
        var sb = new StringBuilder();
        sb.Append("{ \"name\": \"").Append(Name).Append("\", \"group\": ")
          .Append(Group.ToString(CultureInfo.InvariantCulture)).Append(", \"item\": ")
          .Append(Item.ToString(CultureInfo.InvariantCulture)).Append(", \"info\": \" \",\"entries\": [ ");
        for (int i = 0; i < _entries.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }
            sb.Append("{\"name\":\"").Append(_entries[i].Name).Append("\", \"type\":\"")
              .Append(HipoTypes.ToLetter(_entries[i].Type)).Append("\", \"info\":\" \"}");
        }
        return sb.Append("] }").ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToCompactString();

    /// <summary>
    /// Parses a compact schema string. Malformed text gives a <see cref="HipoFormatException"/>
    /// carrying <paramref name="offset"/> (the caller's position of the string, or -1).
    /// </summary>
    public static Schema Parse(string text, long offset = -1)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Layout: "{" name "/" group "/" item "}" "{" entries "}". Whitespace is tolerated
        // around tokens, as the C++ dictionary::parse trims nothing but writers may.
        string s = text.Trim();
        int close = s.IndexOf('}', StringComparison.Ordinal);
        if (s.Length < 4 || s[0] != '{' || close < 0 || close + 1 >= s.Length || s[close + 1] != '{' || s[^1] != '}')
        {
            throw new HipoFormatException($"bad schema string '{Clip(text)}'", offset);
        }
        string[] head = s[1..close].Split('/');
        if (head.Length != 3
            || !int.TryParse(head[1].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int group)
            || !int.TryParse(head[2].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int item)
            || group is < 0 or > ushort.MaxValue || item is < 0 or > byte.MaxValue
            || !IsValidName(head[0].Trim()))
        {
            throw new HipoFormatException($"bad schema head in '{Clip(text)}'", offset);
        }
        var columns = new List<(string, HipoType)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string part in s[(close + 2)..^1].Split(','))
        {
            string[] kv = part.Split('/');
            string columnName = kv[0].Trim();
            string letter = kv.Length == 2 ? kv[1].Trim() : "";
            if (kv.Length != 2 || letter.Length != 1 || !HipoTypes.TryFromLetter(letter[0], out HipoType type)
                || !IsValidName(columnName) || !names.Add(columnName))
            {
                throw new HipoFormatException($"bad schema entry '{Clip(part)}' in '{Clip(text)}'", offset);
            }
            columns.Add((columnName, type));
        }
        return new Schema(head[0].Trim(), group, item, columns);
    }

    private static bool IsValidName(string? name) =>
        !string.IsNullOrWhiteSpace(name) && name.IndexOfAny(['/', '{', '}', ',', '"']) < 0;

    private static string Clip(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 80), "...");
}

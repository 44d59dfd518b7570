using System.Collections;

namespace Streams.Formats.Hipo;

/// <summary>
/// The schemas of a HIPO file, found by name or by (group, item). Enumerates in ordinal name
/// order, the order the C++ writer (a <c>std::map</c>) puts them in the dictionary record.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "HIPO calls it the dictionary (record).")]
public sealed class SchemaDictionary : IReadOnlyCollection<Schema>
{
    private readonly SortedDictionary<string, Schema> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Schema> _byId = [];

    /// <summary>An empty dictionary.</summary>
    public SchemaDictionary() { }

    /// <summary>A dictionary holding <paramref name="schemas"/>.</summary>
    public SchemaDictionary(IEnumerable<Schema> schemas)
    {
        ArgumentNullException.ThrowIfNull(schemas);
        foreach (Schema s in schemas)
        {
            Add(s);
        }
    }

    /// <inheritdoc />
    public int Count => _byName.Count;

    /// <summary>The named schema; throws <see cref="KeyNotFoundException"/> when absent.</summary>
    public Schema this[string name] =>
        _byName.TryGetValue(name, out Schema? s) ? s : throw new KeyNotFoundException($"no schema '{name}'");

    /// <summary>Adds a schema; its name and its (group, item) must both be new.</summary>
    public void Add(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        int id = Key(schema.Group, schema.Item);
        if (_byName.ContainsKey(schema.Name) || _byId.ContainsKey(id))
        {
            throw new ArgumentException($"schema {schema.Name} ({schema.Group},{schema.Item}) is already defined", nameof(schema));
        }
        _byName.Add(schema.Name, schema);
        _byId.Add(id, schema);
    }

    /// <summary>Finds a schema by name.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Schema? schema) =>
        _byName.TryGetValue(name, out schema);

    /// <summary>Finds a schema by group and item.</summary>
    public bool TryGet(int group, int item, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Schema? schema) =>
        _byId.TryGetValue(Key(group, item), out schema);

    /// <summary>True when a schema of that name exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The compact strings of all schemas, in name order (what the dictionary record holds).</summary>
    public IReadOnlyList<string> ToCompactStrings() => [.. _byName.Values.Select(s => s.ToCompactString())];

    /// <summary>
    /// Parses compact schema strings. A malformed string or a duplicate schema gives a
    /// <see cref="HipoFormatException"/> (offset -1).
    /// </summary>
    public static SchemaDictionary Parse(IEnumerable<string> compactStrings)
    {
        ArgumentNullException.ThrowIfNull(compactStrings);
        var d = new SchemaDictionary();
        foreach (string text in compactStrings)
        {
            d.AddParsed(Schema.Parse(text), -1);
        }
        return d;
    }

    internal void AddParsed(Schema schema, long offset)
    {
        if (_byName.ContainsKey(schema.Name) || _byId.ContainsKey(Key(schema.Group, schema.Item)))
        {
            throw new HipoFormatException($"schema {schema.Name} ({schema.Group},{schema.Item}) defined twice", offset);
        }
        Add(schema);
    }

    /// <inheritdoc />
    public IEnumerator<Schema> GetEnumerator() => _byName.Values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static int Key(int group, int item) => (group << 8) | item;
}

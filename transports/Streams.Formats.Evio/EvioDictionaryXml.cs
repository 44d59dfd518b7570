using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Streams.Formats.Evio;

/// <summary>One entry of an EVIO XML dictionary.</summary>
/// <param name="Name">The entry's own name.</param>
/// <param name="Path">Names from the outermost bank down, joined with '.', e.g. <c>topBank.uints</c>.</param>
/// <param name="Tag">Tag (the low end for a tag range "a-b").</param>
/// <param name="TagEnd">High end of a tag range; equal to <paramref name="Tag"/> otherwise.</param>
/// <param name="Num">Num, or null when the entry does not give one.</param>
/// <param name="Type">The declared type text (bank, uint32, ...), or null.</param>
public sealed record EvioDictionaryEntry(string Name, string Path, int Tag, int TagEnd, int? Num, string? Type);

/// <summary>
/// The XML dictionary of an EVIO file (<c>&lt;xmlDict&gt;</c> with nested <c>&lt;bank&gt;</c> and
/// <c>&lt;leaf&gt;</c> elements, or the flat <c>&lt;dictEntry&gt;</c> form) as name/tag/num lookups.
/// </summary>
public sealed class EvioDictionaryXml
{
    private readonly Dictionary<(int Tag, int? Num), EvioDictionaryEntry> _byTagNum = [];
    private readonly Dictionary<string, EvioDictionaryEntry> _byPath = new(StringComparer.Ordinal);

    private EvioDictionaryXml(List<EvioDictionaryEntry> entries)
    {
        Entries = entries;
        foreach (var e in entries)
        {
            _byTagNum.TryAdd((e.Tag, e.Num), e);
            _byPath.TryAdd(e.Path, e);
        }
    }

    /// <summary>All entries in document order.</summary>
    public IReadOnlyList<EvioDictionaryEntry> Entries { get; }

    /// <summary>Parses dictionary XML; throws <see cref="FormatException"/> when it is not well-formed.</summary>
    public static EvioDictionaryXml Parse(string xml)
    {
        XDocument doc;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            doc = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw new FormatException("EVIO dictionary is not well-formed XML: " + e.Message, e);
        }
        var entries = new List<EvioDictionaryEntry>();
        if (doc.Root != null) Collect(doc.Root, "", entries);
        return new EvioDictionaryXml(entries);
    }

    /// <summary>The entry for a structure's tag and num (an entry without num matches any num; tag ranges match).</summary>
    public EvioDictionaryEntry? Find(int tag, int num)
    {
        if (_byTagNum.TryGetValue((tag, num), out var e) || _byTagNum.TryGetValue((tag, null), out e)) return e;
        foreach (var r in Entries)
            if (r.TagEnd != r.Tag && tag >= r.Tag && tag <= r.TagEnd && (r.Num == null || r.Num == num)) return r;
        return null;
    }

    /// <summary>The entry of a node (its tag and num).</summary>
    public EvioDictionaryEntry? Find(EvioNode node) => Find(node.Tag, node.Num);

    /// <summary>The entry with the dotted <paramref name="path"/> (or, for flat dictionaries, the name).</summary>
    public EvioDictionaryEntry? FindByPath(string path) => _byPath.GetValueOrDefault(path);

    private static void Collect(XElement element, string prefix, List<EvioDictionaryEntry> entries)
    {
        foreach (var child in element.Elements())
        {
            string kind = child.Name.LocalName.ToLowerInvariant();
            if (kind is not ("bank" or "leaf" or "dictentry"))
            {
                Collect(child, prefix, entries);
                continue;
            }
            string name = (string?)child.Attribute("name") ?? "";
            string path = prefix.Length == 0 ? name : prefix + "." + name;
            if (TryTag((string?)child.Attribute("tag"), out int tag, out int tagEnd))
            {
                int? num = int.TryParse((string?)child.Attribute("num"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : null;
                entries.Add(new EvioDictionaryEntry(name, path, tag, tagEnd, num, (string?)child.Attribute("type")));
            }
            Collect(child, path, entries);
        }
    }

    private static bool TryTag(string? text, out int tag, out int tagEnd)
    {
        tag = tagEnd = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Split('-', 2, StringSplitOptions.TrimEntries);
        if (!int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out tag)) return false;
        tagEnd = tag;
        return parts.Length == 1 || int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out tagEnd);
    }
}

using System.Globalization;
using System.Text;

namespace Streams.Formats.Evio.Tests;

/// <summary>Writes what our reader sees in the layout of JLab's dump files (*.dump.txt).</summary>
internal static class DumpFormatter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static List<string> Format(EvioReader r)
    {
        var o = new List<string>();
        int records = r.Version == 6 ? r.ReadRecordHeaders().Count(h => !h.IsTrailer) : 0; // JLab reports 0 blocks for v4
        o.Add($"evioVersion={r.Version} byteOrder={(r.IsBigEndian ? "ENDIAN_BIG" : "ENDIAN_LITTLE")} eventCount={r.CountEvents()} blockOrRecordCount={records}");
        o.Add($"hasDictionaryXML={(r.Dictionary != null ? 1 : 0)}");
        if (r.Dictionary != null) o.AddRange(("dictionaryXML=<<<" + r.Dictionary + ">>>").Split('\n'));
        o.Add($"hasFirstEvent={(r.FirstEvent != null ? 1 : 0)}");
        if (r.FirstEvent is { } fe)
        {
            o.Add("firstEvent:");
            Node(fe, 2, o);
        }
        if (r.Version == 6)
        {
            int i = 0;
            foreach (var h in r.ReadRecordHeaders().Where(h => !h.IsTrailer))
                o.Add($"record[{i++}] filePos={h.Offset} lengthBytes={h.LengthBytes} eventCount={h.EventCount}");
        }
        foreach (var ev in r.Events)
        {
            o.Add($"event {ev.Index + 1} totalBytes={ev.Root.TotalBytes}");
            Node(ev.Root, 2, o);
        }
        return o;
    }

    public static void Node(EvioNode n, int indent, List<string> o)
    {
        string pre = new(' ', indent);
        int t = (int)n.DataType;
        string name = n.DataType.JLabName();
        string tail = n.IsContainer ? $"children={n.Children.Count()}" : $"nItems={ItemCount(n)}";
        o.Add(n.Kind switch
        {
            EvioStructureKind.Bank => $"{pre}BANK tag=0x{n.Tag:x4}({n.Tag}) num={n.Num} type=0x{t:x2}({name}) lenWord={n.LengthWords} pad={n.Padding} {tail}",
            EvioStructureKind.Segment => $"{pre}SEGMENT tag=0x{n.Tag:x2}({n.Tag}) type=0x{t:x2}({name}) lenWord={n.LengthWords} pad={n.Padding} {tail}",
            _ => $"{pre}TAGSEGMENT tag=0x{n.Tag:x3}({n.Tag}) type=0x{t:x1}({name}) lenWord={n.LengthWords} {tail}",
        });
        if (n.IsContainer)
        {
            foreach (var c in n.Children) Node(c, indent + 2, o);
            return;
        }
        o.Add($"{pre}  data: {Data(n)}");
    }

    /// <summary>JLab counts raw data bytes for strings and composite.</summary>
    private static int ItemCount(EvioNode n) =>
        n.DataType is EvioDataType.CharStar8 or EvioDataType.Composite ? n.RawData.Length : n.ItemCount;

    private static string Data(EvioNode n)
    {
        var sb = new StringBuilder();
        void Add(string s) { if (sb.Length > 0) sb.Append(' '); sb.Append(s); }
        switch (n.DataType)
        {
            case EvioDataType.UInt32: foreach (var v in n.UInt32s) Add(v.ToString(Inv)); break;
            case EvioDataType.Int32: foreach (var v in n.Int32s) Add(v.ToString(Inv)); break;
            case EvioDataType.Float32: foreach (var v in n.Floats) Add(v.ToString("R", Inv)); break;
            case EvioDataType.Double64: foreach (var v in n.Doubles) Add(v.ToString("R", Inv)); break;
            case EvioDataType.Short16: foreach (var v in n.Int16s) Add(v.ToString(Inv)); break;
            case EvioDataType.UShort16: foreach (var v in n.UInt16s) Add(v.ToString(Inv)); break;
            case EvioDataType.Long64: foreach (var v in n.Int64s) Add(v.ToString(Inv)); break;
            case EvioDataType.ULong64: foreach (var v in n.UInt64s) Add(v.ToString(Inv)); break;
            case EvioDataType.Char8: foreach (var v in n.SBytes) Add(v.ToString(Inv)); break;
            case EvioDataType.UChar8: foreach (var v in n.Bytes) Add(v.ToString(Inv)); break;
            case EvioDataType.CharStar8: foreach (var s in n.GetStrings()) Add($"\"{s}\""); break;
            case EvioDataType.Composite: Add(n.GetComposite().ToString()); break;
            default: foreach (var v in n.GetValues<uint>()) Add("0x" + v.ToString("x8", Inv)); break;
        }
        return sb.ToString();
    }

    /// <summary>The dump's lines without comments and without the fileHeader block (checked separately).</summary>
    public static (List<string> Lines, Dictionary<string, string> FileHeader) ParseDump(string text)
    {
        var lines = new List<string>();
        var header = new Dictionary<string, string>();
        bool inHeader = false;
        foreach (var raw in text.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            if (raw.StartsWith('#')) continue;
            string line = raw;
            if (line.StartsWith("fileHeader:", StringComparison.Ordinal)) { inHeader = true; line = line["fileHeader:".Length..]; }
            if (inHeader)
            {
                if (line.Trim().Length == 0) { inHeader = false; continue; }
                int c = line.IndexOf(" : ", StringComparison.Ordinal);
                if (c > 0) header[line[..c].Trim()] = line[(c + 3)..].Trim();
                continue;
            }
            lines.Add(line);
        }
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return (lines, header);
    }
}

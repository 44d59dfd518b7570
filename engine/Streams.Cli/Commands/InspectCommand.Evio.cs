using System.Buffers.Binary;
using System.CommandLine;
using System.Globalization;
using System.Text;
using Streams.Formats.Evio;

namespace Streams.Cli.Commands;

/// <summary>
/// <c>streams inspect FILE.evio</c>: a summary of an EVIO 4/6 file (version, byte order, records, events, compression,
/// dictionary); with <c>--event N</c> the structure tree of event N (0-based), laid out as JLab's dumps.
/// </summary>
internal static partial class InspectCommand
{
    private const int ValuesShown = 16;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary><c>--event N</c>: one event's structure (shared by the file formats that have events).</summary>
    internal static Option<int?> EventOption { get; } = new("--event") { Description = "EVIO: show the structure tree of event N (0-based) instead of the summary; HIPO: only event N with --bank.", HelpName = "N" };

    /// <summary>True for a file named *.evio or starting with an EVIO record/file header (magic word 0xc0da0100 at byte 28).</summary>
    internal static bool IsEvio(FileInfo file)
    {
        if (file.Extension.Equals(".evio", StringComparison.OrdinalIgnoreCase)) return true;
        try
        {
            using var s = file.OpenRead();
            Span<byte> head = stackalloc byte[32];
            if (s.ReadAtLeast(head, 32, throwOnEndOfStream: false) < 32) return false;
            return BinaryPrimitives.ReadUInt32LittleEndian(head[28..]) is 0xc0da0100 or 0x0001dac0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the Arrow path reports what is wrong with the file
        }
    }

    internal static int InspectEvio(FileInfo file, int? eventIndex, TextWriter output, TextWriter errors)
    {
        if (!file.Exists)
        {
            errors.WriteLine(Directory.Exists(file.FullName) ? $"error: {file}: is a directory" : $"error: {file}: no such file");
            return 1;
        }

        try
        {
            using var evio = EvioFile.Open(file.FullName);
            var reader = evio.Reader;
            if (eventIndex is { } wanted) return DumpEvent(file, reader, wanted, output, errors);
            var records = reader.ReadRecordHeaders();
            var data = records.Where(r => !r.IsTrailer).ToList();
            var compressions = data.Select(r => r.Compression).Distinct().Select(Name).ToList();
            output.WriteLine($"# {file.Name}: EVIO {reader.Version}, {(reader.IsBigEndian ? "big" : "little")}-endian, {file.Length} bytes");
            output.WriteLine($"{(reader.Version == 4 ? "blocks" : "records")}: {data.Count}{(records.Any(r => r.IsTrailer) ? " + trailer" : "")}");
            output.WriteLine($"events: {reader.CountEvents()}");
            output.WriteLine($"compression: {(compressions.Count == 0 ? "none" : string.Join(", ", compressions))}");
            output.WriteLine($"dictionary: {(reader.Dictionary is { } d ? $"{d.Length} characters of XML" : "none")}");
            output.WriteLine($"first event: {(reader.FirstEvent is { } fe ? $"tag 0x{fe.Tag:x4}, {fe.TotalBytes} bytes" : "none")}");
            output.WriteLine("# record offset bytes events compression");
            foreach (var r in data) output.WriteLine($"{r.Number} {r.Offset} {r.LengthBytes} {r.EventCount} {Name(r.Compression)}");
            var tags = new SortedDictionary<int, int>();
            foreach (var ev in reader.Events) tags[ev.Root.Tag] = tags.GetValueOrDefault(ev.Root.Tag) + 1;
            output.WriteLine("# events by top-level tag: " + string.Join(", ", tags.Select(t => $"0x{t.Key:x4} x{t.Value}")));
            return 0;
        }
        catch (EvioFormatException e)
        {
            errors.WriteLine($"error: {file}: malformed EVIO at byte {e.Offset}: {e.Message}");
            return 1;
        }
        catch (UnauthorizedAccessException)
        {
            errors.WriteLine($"error: {file}: permission denied");
            return 1;
        }
        catch (IOException e)
        {
            errors.WriteLine($"error: {file}: {e.Message}");
            return 1;
        }
    }

    private static int DumpEvent(FileInfo file, EvioReader reader, int wanted, TextWriter output, TextWriter errors)
    {
        var count = 0;
        foreach (var ev in reader.Events)
        {
            if (count++ != wanted) continue;
            output.WriteLine($"# {file.Name}: event {wanted} (record {ev.RecordNumber} at byte {ev.RecordOffset}), {ev.Root.TotalBytes} bytes");
            var lines = new List<string>();
            Node(ev.Root, 0, lines);
            foreach (var l in lines) output.WriteLine(l);
            return 0;
        }

        errors.WriteLine($"error: {file}: no event {wanted}; the file has {count} (numbered from 0)");
        return 1;
    }

    private static string Name(EvioCompression c) => c switch
    {
        EvioCompression.None => "none",
        EvioCompression.Lz4 => "lz4",
        EvioCompression.Lz4Best => "lz4-best",
        EvioCompression.Gzip => "gzip",
        _ => c.ToString(),
    };

    /// <summary>One line per structure, children indented, then the first values of a leaf (as JLab's dumps).</summary>
    private static void Node(EvioNode n, int indent, List<string> o)
    {
        var pre = new string(' ', indent);
        var t = (int)n.DataType;
        var name = n.DataType.JLabName();
        var tail = n.IsContainer ? $"children={n.Children.Count()}" : $"nItems={n.ItemCount}";
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

        o.Add($"{pre}  data: {Values(n)}");
    }

    private static string Values(EvioNode n)
    {
        var sb = new StringBuilder();
        var shown = 0;
        void Add(string s)
        {
            if (shown++ >= ValuesShown) return;
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(s);
        }

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

        if (shown > ValuesShown) sb.Append(CultureInfo.InvariantCulture, $" ... ({shown - ValuesShown} more)");
        return sb.ToString();
    }
}

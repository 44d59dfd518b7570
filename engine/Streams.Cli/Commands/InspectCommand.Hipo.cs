using System.Buffers.Binary;
using System.Globalization;
using Streams.Formats.Hipo;

namespace Streams.Cli.Commands;

/// <summary>The HIPO 4 part of <c>streams inspect</c>.</summary>
internal static partial class InspectCommand
{
    /// <summary>True for a <c>.hipo</c> file name, or a file that starts with the HIPO magic ("HIPO" in either byte order).</summary>
    internal static bool IsHipo(FileInfo file)
    {
        if (file.Extension.Equals(".hipo", StringComparison.OrdinalIgnoreCase)) return true;
        try
        {
            if (!file.Exists) return false;
            using var stream = file.OpenRead();
            Span<byte> head = stackalloc byte[4];
            return stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4
                && BinaryPrimitives.ReadUInt32LittleEndian(head) is 0x4F504948 or 0x4849504F;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the Arrow path reports what is wrong with the file
        }
    }

    /// <summary>
    /// Without <paramref name="bank"/>: the file's summary (records with their compression, events, schemas, rows per
    /// bank). With it: that bank's rows for each event, or for event <paramref name="eventIndex"/> alone, one line per
    /// row as <c>[r] column=value ...</c> (the layout of gavalian/hipo's dump).
    /// </summary>
    internal static int InspectHipo(FileInfo file, string? bank, int? eventIndex, TextWriter output, TextWriter errors)
    {
        if (!file.Exists)
        {
            errors.WriteLine(Directory.Exists(file.FullName) ? $"error: {file}: is a directory" : $"error: {file}: no such file");
            return 1;
        }

        try
        {
            using var reader = HipoReader.Open(file.FullName);
            if (eventIndex is { } n && (n < 0 || n >= reader.EventCount))
            {
                errors.WriteLine($"error: {file}: no event {n} (the file has {reader.EventCount}: 0-{reader.EventCount - 1})");
                return 1;
            }

            Schema? schema = null;
            if (bank is not null && !reader.Schemas.TryGet(bank, out schema))
            {
                errors.WriteLine($"error: {file}: no bank '{bank}' in the dictionary ({string.Join(", ", reader.Schemas.Select(s => s.Name))})");
                return 1;
            }

            var (start, count) = eventIndex is { } e ? (e, 1) : (0, reader.EventCount);
            if (schema is null) Summary(file, reader, start, count, output);
            else Rows(reader, schema, start, count, output);
            return 0;
        }
        catch (HipoFormatException e)
        {
            errors.WriteLine($"error: {file}: malformed HIPO: {e.Message}");
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

    private static void Summary(FileInfo file, HipoReader reader, int start, int count, TextWriter output)
    {
        List<string> compression;
        using (var stream = file.OpenRead()) compression = [.. reader.Records.Select(r => Compression(stream, reader, r)).Distinct()];
        output.WriteLine($"# {file.Name}: HIPO 4 (version {reader.Version}), {(reader.IsBigEndian ? "big" : "little")} endian, {file.Length} bytes");
        output.WriteLine($"# {reader.EventCount} events in {reader.Records.Count} records, compression {string.Join("/", compression)}, index record {(reader.HasIndex ? "present" : "missing (records found by a scan)")}");
        output.WriteLine("# records: position bytes events first-event");
        foreach (var r in reader.Records) output.WriteLine(Invariant($"record {r.Position} {r.Length} {r.EventCount} {r.FirstEvent}"));
        output.WriteLine($"# schemas in the dictionary ({reader.Schemas.Count})");
        foreach (var s in reader.Schemas) output.WriteLine(Invariant($"schema {s.Name} group={s.Group} item={s.Item} rowLength={s.RowLength} {s.ToCompactString()}"));
        var events = new Dictionary<string, (long Events, long Rows)>(StringComparer.Ordinal);
        foreach (var ev in reader.ReadEvents(start, count))
        {
            foreach (var b in ev.GetBanks(reader.Schemas))
            {
                var (e, rows) = events.GetValueOrDefault(b.Schema.Name);
                events[b.Schema.Name] = (e + 1, rows + b.Rows);
            }
        }

        output.WriteLine(count == reader.EventCount ? "# banks: events holding it, rows in all" : $"# banks of event {start}: rows");
        foreach (var s in reader.Schemas)
        {
            var (e, rows) = events.GetValueOrDefault(s.Name);
            output.WriteLine(count == reader.EventCount ? Invariant($"bank {s.Name} events={e} rows={rows}") : Invariant($"bank {s.Name} rows={rows}"));
        }
    }

    private static void Rows(HipoReader reader, Schema schema, int start, int count, TextWriter output)
    {
        var line = new System.Text.StringBuilder();
        foreach (var ev in reader.ReadEvents(start, count))
        {
            var bank = ev.GetBank(schema);
            output.WriteLine(Invariant($"event {ev.Index} size={ev.Data.Length} tag={ev.Tag}"));
            output.WriteLine(Invariant($"  bank {schema.Name} rows={bank.Rows}"));
            for (var r = 0; r < bank.Rows; r++)
            {
                line.Clear().Append(CultureInfo.InvariantCulture, $"    [{r}]");
                for (var c = 0; c < schema.Entries.Count; c++) line.Append(' ').Append(schema[c].Name).Append('=').Append(Value(bank, c, r));
                output.WriteLine(line.ToString());
            }
        }
    }

    private static string Value(Bank bank, int column, int row) => bank.Schema[column].Type switch
    {
        HipoType.Float => bank.GetFloat(column, row).ToString(CultureInfo.InvariantCulture),
        HipoType.Double => bank.GetDouble(column, row).ToString(CultureInfo.InvariantCulture),
        _ => bank.GetLong(column, row).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The compression of a record (word 10, top nibble): none, LZ4, LZ4-best, gzip.</summary>
    private static string Compression(FileStream stream, HipoReader reader, HipoRecordInfo record)
    {
        stream.Position = record.Position + 36;
        Span<byte> word = stackalloc byte[4];
        if (stream.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4) return "?";
        var value = reader.IsBigEndian ? BinaryPrimitives.ReadUInt32BigEndian(word) : BinaryPrimitives.ReadUInt32LittleEndian(word);
        return (value >> 28) switch
        {
            0 => "none",
            1 => "LZ4",
            2 => "LZ4-best",
            3 => "gzip",
            var t => Invariant($"type {t}"),
        };
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

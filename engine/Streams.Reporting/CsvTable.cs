using System.Globalization;
using CsvHelper;

namespace Streams.Reporting;

/// <summary>
/// CSV tables (CsvHelper, invariant culture), one rule for every table Streams reads: a header row is required, columns
/// are found by name (case-insensitive, surrounding spaces ignored), extra columns are ignored, blank lines and
/// <c>#</c> comment lines are skipped, and bad input is a one-line <see cref="FormatException"/> naming file:line and
/// the column.
/// </summary>
public static class CsvTable
{
    /// <summary>
    /// Reads the data rows of <paramref name="path"/> through <paramref name="map"/>; the header must name every column
    /// in <paramref name="required"/> (others may be read as optional).
    /// </summary>
    public static IReadOnlyList<T> Read<T>(string path, IReadOnlyList<string> required, Func<CsvTableRow, T> map)
    {
        ArgumentNullException.ThrowIfNull(required);
        ArgumentNullException.ThrowIfNull(map);
        try
        {
            using var csv = CsvReader.FromFile(path, ReadOptions);
            foreach (var name in required.Where(n => !csv.TryGetFieldIndex(n, out _)))
            {
                throw new FormatException($"{path}:{HeaderLine(path)}: no column '{name}' in the header '{string.Join(',', csv.Headers)}' (a header row is required: {string.Join(',', required)})");
            }

            var rows = new List<T>();
            var row = new CsvTableRow(path, csv);
            while (csv.Read()) rows.Add(map(row));
            return rows;
        }
        catch (CsvFormatException e)
        {
            throw new FormatException($"{path}:{e.LineNumber}: malformed CSV: {e.Message.Split('\n')[0].Trim()}", e);
        }
    }

    /// <summary>The line the header should be on: the first that is neither blank nor a comment.</summary>
    private static int HeaderLine(string path) =>
        File.ReadLines(path).Select((line, i) => (Line: line.Trim(), No: i + 1)).FirstOrDefault(l => l.Line.Length > 0 && !l.Line.StartsWith('#'), (Line: "", No: 1)).No;

    /// <summary>Writes <paramref name="header"/> and <paramref name="rows"/> (fields already formatted) to <paramref name="path"/>, after <paramref name="comments"/> as <c>#</c> lines.</summary>
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, IEnumerable<string>? comments = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        using var table = new CsvTableWriter(new StreamWriter(path), header, comments);
        foreach (var r in rows) table.Row(r);
    }

    /// <summary>A number as a field: invariant culture, <paramref name="format"/> (default up to three decimals).</summary>
    public static string Field(double value, string format = "0.###") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>An optional number as a field: empty when null.</summary>
    public static string Field(double? value, string format = "0.###") => value is { } v ? Field(v, format) : "";

    /// <summary>An integer as a field (invariant culture).</summary>
    public static string Field(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static CsvReaderOptions ReadOptions { get; } = new()
    {
        Separator = ',',
        HasHeader = true,
        CommentPrefix = '#',
        TrimWhitespace = true,
        SkipEmptyLines = true,
        TrackLineNumbers = true,
        MalformedData = CsvMalformedDataHandling.Throw,
        FormatProvider = CultureInfo.InvariantCulture,
    };

    internal static CsvWriterOptions WriteOptions { get; } = new()
    {
        Separator = ',',
        CommentPrefix = '#',
        NewLine = Environment.NewLine,
        FormatProvider = CultureInfo.InvariantCulture,
    };
}

/// <summary>One data row of a table being read by <see cref="CsvTable.Read"/>: fields by column name.</summary>
public sealed class CsvTableRow
{
    private readonly string _path;
    private readonly CsvReader _csv;

    internal CsvTableRow(string path, CsvReader csv) => (_path, _csv) = (path, csv);

    /// <summary>The row's line in the file (1 is the first line).</summary>
    public long Line => _csv.LineNumber;

    /// <summary>The trimmed field of <paramref name="column"/> (found by name, case-insensitive); empty when the header lacks the column or the row is short.</summary>
    public string Text(string column) => _csv.TryGetFieldIndex(column, out var i) ? _csv.GetString(i).Trim() : "";

    /// <summary>The number in <paramref name="column"/>; empty or not a number is an error.</summary>
    public double Number(string column) => OptionalNumber(column) ?? throw Error(column, "empty, a number is required");

    /// <summary>The number in <paramref name="column"/>, null when the field is empty or the column absent; not a number is an error.</summary>
    public double? OptionalNumber(string column)
    {
        var text = Text(column);
        if (text.Length == 0) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw Error(column, $"'{text}' is not a number");
    }

    /// <summary>The integer in <paramref name="column"/>; empty or not an integer is an error.</summary>
    public int WholeNumber(string column)
    {
        var text = Text(column);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Error(column, text.Length == 0 ? "empty, an integer is required" : $"'{text}' is not an integer");
    }

    /// <summary>A one-line error about this row's <paramref name="column"/>: <c>file:line: column 'name': problem</c>.</summary>
    public FormatException Error(string column, string problem) => new($"{_path}:{Line}: column '{column}': {problem}");
}

/// <summary>A CSV table being written row by row (invariant culture, flushed after each row, so a reader sees whole rows).</summary>
public sealed class CsvTableWriter : IDisposable
{
    private readonly CsvWriter _csv;

    /// <summary>Writes <paramref name="comments"/> as <c>#</c> lines and the <paramref name="header"/> row to <paramref name="writer"/>, which it then owns.</summary>
    public CsvTableWriter(TextWriter writer, IReadOnlyList<string> header, IEnumerable<string>? comments = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        _csv = CsvWriter.Create(writer, CsvTable.WriteOptions, leaveOpen: false);
        foreach (var c in comments ?? []) _csv.WriteComment(c);
        Row(header);
    }

    /// <summary>One row of fields (already formatted).</summary>
    public void Row(IReadOnlyList<string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        foreach (var f in fields) _csv.WriteField(f);
        _csv.EndRecord();
        _csv.Flush();
    }

    public void Dispose() => _csv.Dispose();
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace Streams.Formats.Hipo.Tests;

/// <summary>The text dump gavalian/hipo printed for hipo4.hipo, parsed back into values.</summary>
internal sealed partial class DumpFile
{
    public int EventCount { get; private set; }

    public List<(string Name, int Group, int Item, int RowLength, string Text)> Schemas { get; } = [];

    public List<DumpEvent> Events { get; } = [];

    public static DumpFile Parse(string[] lines)
    {
        var d = new DumpFile();
        DumpEvent? ev = null;
        DumpBank? bank = null;
        foreach (string line in lines)
        {
            Match m;
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }
            if ((m = EntriesLine().Match(line)).Success)
            {
                d.EventCount = Int(m.Groups[1].Value);
            }
            else if ((m = SchemaLine().Match(line)).Success)
            {
                d.Schemas.Add((m.Groups[1].Value, Int(m.Groups[2].Value), Int(m.Groups[3].Value), Int(m.Groups[4].Value), m.Groups[5].Value));
            }
            else if ((m = EventLine().Match(line)).Success)
            {
                ev = new DumpEvent(Int(m.Groups[1].Value), Int(m.Groups[2].Value), Int(m.Groups[3].Value));
                d.Events.Add(ev);
            }
            else if (line.StartsWith("  structures(in file order):", StringComparison.Ordinal))
            {
                foreach (Match s in StructureItem().Matches(line))
                {
                    ev!.Structures.Add((Int(s.Groups[1].Value), Int(s.Groups[2].Value), Int(s.Groups[3].Value), Int(s.Groups[4].Value), Int(s.Groups[5].Value)));
                }
            }
            else if ((m = BankLine().Match(line)).Success)
            {
                bank = new DumpBank(m.Groups[1].Value, Int(m.Groups[2].Value));
                ev!.Banks.Add(bank);
            }
            else if ((m = RowLine().Match(line)).Success)
            {
                Assert.Equal(bank!.Rows.Count, Int(m.Groups[1].Value));
                var row = new List<(string, string)>();
                foreach (string kv in m.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    int eq = kv.IndexOf('=', StringComparison.Ordinal);
                    row.Add((kv[..eq], kv[(eq + 1)..]));
                }
                bank.Rows.Add(row);
            }
            else
            {
                Assert.Fail($"unparsed dump line: {line}");
            }
        }
        return d;
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^entries\(events\)=(\d+)$")]
    private static partial Regex EntriesLine();

    [GeneratedRegex(@"^schema (\S+) group=(\d+) item=(\d+) rowLength=(\d+) string=(\S+)$")]
    private static partial Regex SchemaLine();

    [GeneratedRegex(@"^event (\d+) size=(\d+) tag=(\d+)$")]
    private static partial Regex EventLine();

    [GeneratedRegex(@"\((\d+),(\d+),type=(\d+),len=(\d+),hdr=(\d+)\)")]
    private static partial Regex StructureItem();

    [GeneratedRegex(@"^  bank (\S+) rows=(\d+)$")]
    private static partial Regex BankLine();

    [GeneratedRegex(@"^    \[(\d+)\] (.*)$")]
    private static partial Regex RowLine();
}

internal sealed record DumpEvent(int Number, int Size, int Tag)
{
    public List<(int Group, int Item, int Type, int Length, int Header)> Structures { get; } = [];

    public List<DumpBank> Banks { get; } = [];
}

internal sealed record DumpBank(string Name, int RowCount)
{
    public List<List<(string Column, string Value)>> Rows { get; } = [];
}

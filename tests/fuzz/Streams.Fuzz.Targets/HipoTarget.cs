using Streams.Formats.Hipo;

namespace Streams.Fuzz.Targets;

/// <summary>
/// The HIPO 4 library (<see cref="HipoReader"/>) over a whole file in memory: header, dictionary, record index, every
/// event (LZ4 records inflated), every bank of the dictionary's schemas and every value of every row. Only
/// <see cref="HipoFormatException"/> may come out, and allocation stays bounded.
/// </summary>
public static class HipoTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        var bytes = data.ToArray();
        FuzzSupport.WithAllocationLimit((600L * bytes.Length) + (24 << 20), () => Walk(bytes));
    }

    private static void Walk(byte[] bytes)
    {
        try
        {
            using var reader = new HipoReader(bytes);
            var events = 0;
            foreach (var ev in reader.ReadEvents())
            {
                events++;
                foreach (var bank in ev.GetBanks(reader.Schemas))
                {
                    FuzzSupport.Check(bank.Rows >= 0, "a bank with negative rows");
                    for (var c = 0; c < bank.Schema.Entries.Count; c++)
                    {
                        for (var r = 0; r < bank.Rows; r++) _ = bank.GetAsDouble(c, r);
                    }
                }
            }

            FuzzSupport.Check(events == reader.EventCount, $"{events} events read, the index lists {reader.EventCount}");
        }
        catch (HipoFormatException)
        {
        }
    }
}

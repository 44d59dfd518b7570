using Streams.Formats.Evio;

namespace Streams.Fuzz.Targets;

/// <summary>
/// The EVIO 4/6 library (<see cref="EvioReader"/>) over a whole file in memory: headers, records (LZ4 and gzip inflated),
/// every event, every structure below it and every value, strings and composite data; then the same bytes through
/// <see cref="EvioStreamReader"/>. Only <see cref="EvioFormatException"/> may come out, allocation stays bounded (a
/// record may inflate to at most the codec's best ratio), and when both readers get through a file they agree on its
/// events.
/// </summary>
public static class EvioReaderTarget
{
    private static readonly EvioReaderOptions Options = new() { MaxRecordBytes = 4 << 20 };

    public static void Run(ReadOnlySpan<byte> data)
    {
        var bytes = data.ToArray();
        FuzzSupport.WithAllocationLimit((600L * bytes.Length) + (24 << 20), () => Walk(bytes));
    }

    private static void Walk(byte[] bytes)
    {
        int inMemory;
        try
        {
            var reader = new EvioReader(bytes, Options);
            _ = reader.ReadRecordHeaders();
            _ = reader.FirstEvent is { } fe ? Visit(fe) : 0;
            inMemory = 0;
            foreach (var ev in reader.Events)
            {
                FuzzSupport.Check(ev.Root.TotalBytes >= 8 && ev.Root.TotalBytes % 4 == 0, "an event bank that is not whole words");
                Visit(ev.Root);
                inMemory++;
            }
        }
        catch (EvioFormatException)
        {
            inMemory = -1;
        }

        try
        {
            using var stream = new EvioStreamReader(new MemoryStream(bytes), Options);
            var streamed = 0;
            foreach (var ev in stream.ReadEvents())
            {
                Visit(ev.Root);
                streamed++;
            }

            // The stream reader stops at a last-record bit the in-memory reader may read past; never the reverse.
            if (inMemory >= 0) FuzzSupport.Check(streamed <= inMemory, $"the stream reader read {streamed} events, the in-memory reader {inMemory}");
        }
        catch (EvioFormatException)
        {
        }
    }

    /// <summary>Reads every structure and value below <paramref name="root"/>; returns how many structures.</summary>
    private static int Visit(EvioNode root)
    {
        var n = 0;
        foreach (var node in root.Descendants)
        {
            n++;
            if (node.IsContainer) continue;
            double sum = 0;
            switch (node.DataType)
            {
                case EvioDataType.UInt32: foreach (var v in node.UInt32s) sum += v; break;
                case EvioDataType.Int32: foreach (var v in node.Int32s) sum += v; break;
                case EvioDataType.Float32: foreach (var v in node.Floats) sum += v; break;
                case EvioDataType.Double64: foreach (var v in node.Doubles) sum += v; break;
                case EvioDataType.Short16: foreach (var v in node.Int16s) sum += v; break;
                case EvioDataType.UShort16: foreach (var v in node.UInt16s) sum += v; break;
                case EvioDataType.Long64: foreach (var v in node.Int64s) sum += v; break;
                case EvioDataType.ULong64: foreach (var v in node.UInt64s) sum += v; break;
                case EvioDataType.Char8: foreach (var v in node.SBytes) sum += v; break;
                case EvioDataType.UChar8: foreach (var v in node.Bytes) sum += v; break;
                case EvioDataType.CharStar8: sum += node.GetStrings().Length; break;
                case EvioDataType.Composite: sum += node.GetComposite().Items.Count; break;
                default: sum += node.Data.Length; break;
            }

            FuzzSupport.Check(!double.IsNaN(sum) || node.DataType is EvioDataType.Float32 or EvioDataType.Double64, "a NaN sum of integers");
        }

        return n;
    }
}

namespace Streams.Formats.Evio.Tests;

/// <summary>Touches everything a reader exposes: headers, dictionary, first event, every structure and datum.</summary>
internal static class Walker
{
    public static long WalkAll(ReadOnlyMemory<byte> data)
    {
        var r = new EvioReader(data);
        long sum = r.Dictionary?.Length ?? 0;
        if (r.FirstEvent is { } fe) sum += Walk(fe);
        sum += r.ReadRecordHeaders().Count;
        foreach (var ev in r.Events) sum += Walk(ev.Root);
        return sum;
    }

    public static long Walk(EvioNode n)
    {
        long sum = n.Tag + n.Num;
        if (n.IsContainer)
        {
            foreach (var c in n.Children) sum += Walk(c);
            return sum;
        }
        switch (n.DataType)
        {
            case EvioDataType.UInt32: foreach (var v in n.UInt32s) sum += v; break;
            case EvioDataType.Int32: foreach (var v in n.Int32s) sum += v; break;
            case EvioDataType.Float32: foreach (var v in n.Floats) sum += (long)v; break;
            case EvioDataType.Double64: foreach (var v in n.Doubles) sum += (long)v; break;
            case EvioDataType.Short16: foreach (var v in n.Int16s) sum += v; break;
            case EvioDataType.UShort16: foreach (var v in n.UInt16s) sum += v; break;
            case EvioDataType.Long64: foreach (var v in n.Int64s) sum += v; break;
            case EvioDataType.ULong64: foreach (var v in n.UInt64s) sum += (long)v; break;
            case EvioDataType.Char8: foreach (var v in n.SBytes) sum += v; break;
            case EvioDataType.UChar8: foreach (var v in n.Bytes) sum += v; break;
            case EvioDataType.CharStar8: sum += n.GetStrings().Length; break;
            case EvioDataType.Composite: sum += n.GetComposite().Items.Count; break;
            default: sum += n.GetValues<uint>().Length; break;
        }
        return sum;
    }

    /// <summary>Sums numeric data without touching strings or composite (those allocate by design).</summary>
    public static long WalkNumeric(EvioReader r)
    {
        long sum = 0;
        foreach (var ev in r.Events) sum += WalkNumeric(ev.Root);
        return sum;
    }

    private static long WalkNumeric(EvioNode n)
    {
        long sum = n.Tag;
        if (n.IsContainer)
        {
            foreach (var c in n.Children) sum += WalkNumeric(c);
            return sum;
        }
        switch (n.DataType)
        {
            case EvioDataType.UInt32: foreach (var v in n.UInt32s) sum += v; break;
            case EvioDataType.Double64: foreach (var v in n.Doubles) sum += (long)v; break;
            case EvioDataType.Short16: foreach (var v in n.Int16s) sum += v; break;
            case EvioDataType.ULong64: foreach (var v in n.UInt64s) sum += (long)v; break;
            default: sum += n.Data.Length; break;
        }
        return sum;
    }
}

using Streams.Formats.Evio;
using Streams.Formats.Hipo;

namespace Streams.Fuzz.Targets;

/// <summary>
/// Seeds of the file-format targets: files written by the project's EVIO and HIPO writers, and the JLab-written
/// fixtures (<c>../shared/fixtures/jlab-formats/</c> beside the repository) when they are there.
/// </summary>
public static partial class Seeds
{
    private static IEnumerable<(string, byte[])> Fixtures(string extension)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Streams.sln"))) dir = dir.Parent;
        var fixtures = dir is null ? null : Path.Combine(dir.FullName, "..", "shared", "fixtures", "jlab-formats");
        if (fixtures is null || !Directory.Exists(fixtures)) yield break;
        foreach (var f in Directory.GetFiles(fixtures, "*" + extension).Order(StringComparer.Ordinal)) yield return ("jlab-" + Path.GetFileName(f), File.ReadAllBytes(f));
    }

    private static byte[] EvioFile(EvioWriterOptions options, Action<EvioWriter> write)
    {
        var stream = new MemoryStream();
        using (var w = new EvioWriter(stream, options with { LeaveOpen = true })) write(w);
        return stream.ToArray();
    }

    private static IEnumerable<(string, byte[])> EvioReader()
    {
        var events = SimulatedEvents(3, 4);
        yield return ("clas12-v6-be-plain", EvioFile(new EvioWriterOptions { BigEndian = true, MaxEventsPerRecord = 2 }, w => events.ForEach(e => w.WriteEvent(e))));
        yield return ("clas12-v6-be-lz4", EvioFile(new EvioWriterOptions { BigEndian = true, Compression = EvioCompression.Lz4 }, w => events.ForEach(e => w.WriteEvent(e))));
        yield return ("clas12-v4-be", EvioFile(new EvioWriterOptions { BigEndian = true, Version = 4, MaxEventsPerRecord = 2 }, w => events.ForEach(e => w.WriteEvent(e))));
        var roc = new CodaStreamBuilder.Roc(2, [new CodaStreamBuilder.Payload(3, [(1, 100, 5), (2, 200, 6)])]);
        yield return ("coda-stream-v6-le", EvioFile(new EvioWriterOptions { Dictionary = "<xmlDict><dictEntry name=\"tf\" tag=\"65376\"/></xmlDict>" }, w =>
        {
            w.WriteEvent(CodaStreamBuilder.Control(CodaEventKind.Prestart, 1, 2, 3));
            w.WriteEvent(CodaStreamBuilder.TimeFrame(1, 0x1_0000_0000, [roc]));
            w.WriteEvent(CodaStreamBuilder.RocTimeSlice(2, 42, roc));
            w.WriteEvent(CodaStreamBuilder.Control(CodaEventKind.End, 4, 0, 2));
        }));
        foreach (var f in Fixtures(".evio")) yield return f;
    }

    private static IEnumerable<(string, byte[])> Hipo()
    {
        foreach (var compress in new[] { true, false })
        {
            var stream = new MemoryStream();
            using (var w = new HipoWriter(stream, Clas12Schemas.All(), new HipoWriterOptions { MaxEventsPerRecord = 2, Compress = compress }, leaveOpen: true))
            {
                for (var e = 0; e < 3; e++)
                {
                    var tdc = new BankBuilder(Clas12Schemas.DcTdc, rows: 2).PutByte("sector", 0, 1).PutInt("TDC", 0, 1234 + e).PutInt("TDC", 1, 99);
                    w.AddEvent(new HipoEventBuilder().AddBank(tdc));
                }
            }

            yield return (compress ? "streams-lz4" : "streams-plain", stream.ToArray());
        }

        foreach (var f in Fixtures(".hipo")) yield return f;
    }
}

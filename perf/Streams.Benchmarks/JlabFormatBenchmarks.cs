using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using K4os.Compression.LZ4;
using Streams.Formats.Evio;
using Streams.Formats.Hipo;
using Streams.Operators.Clas12.Evio;
using Clas12Event = Streams.Operators.Clas12.Evio.EvioEvent;
using Streams.Operators.Clas12.Simulation;

namespace Streams.Benchmarks;

/// <summary>
/// Reading JLab formats, in one run over the same simulated CLAS12 events (2 tracks, 2% noise, about 2.4 kB each): an
/// uncompressed EVIO 6 file walked in place (memory-mapped, and in memory), the same events in LZ4 EVIO records, the
/// DC hits of the same events as HIPO 4 (LZ4), and K4os' <c>LZ4Codec.Decode</c> alone on LZ4 blocks of the same event
/// bytes (the floor of any LZ4 read). The MB/s column is event bytes (the EVIO banks) per second.
/// <c>dotnet run -c Release --project perf/Streams.Benchmarks -- --filter '*JlabFormat*'</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Columns))]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class JlabFormatBenchmarks
{
    /// <summary>Events in each data set.</summary>
    public const int Events = 10_000;

    private const int PerRecord = 1000;
    private byte[] _plain = [];
    private byte[] _lz4 = [];
    private byte[] _hipo = [];
    private readonly List<(byte[] Compressed, int Length)> _blocks = [];
    private byte[] _scratch = [];
    private string _path = "";
    private EvioFile? _mapped;

    /// <summary>Bytes of event data in the data set (the same in every benchmark).</summary>
    public static long EventBytes { get; } = MakeEvents().Sum(e => (long)e.Length);

    private static List<byte[]> MakeEvents()
    {
        var sim = new Clas12Simulator(new SimulationOptions { Seed = 11 });
        var ev = new Clas12Event();
        var list = new List<byte[]>(Events);
        for (var i = 0; i < Events; i++)
        {
            sim.Generate(ev);
            list.Add(Evio6.Build(ev).ToArray());
        }

        return list;
    }

    [GlobalSetup]
    public void Setup()
    {
        var events = MakeEvents();
        _plain = Write(events, EvioCompression.None);
        _lz4 = Write(events, EvioCompression.Lz4);
        _path = Path.Combine(Path.GetTempPath(), $"streams-bench-{Environment.ProcessId}.evio");
        File.WriteAllBytes(_path, _plain);
        _mapped = EvioFile.Open(_path);
        for (var i = 0; i < events.Count; i += PerRecord)
        {
            var raw = events.Skip(i).Take(PerRecord).SelectMany(e => e).ToArray();
            var target = new byte[LZ4Codec.MaximumOutputSize(raw.Length)];
            var n = LZ4Codec.Encode(raw, target, LZ4Level.L00_FAST);
            _blocks.Add((target[..n], raw.Length));
            _scratch = _scratch.Length >= raw.Length ? _scratch : new byte[raw.Length];
        }

        _hipo = WriteHipo(events);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _mapped?.Dispose();
        File.Delete(_path);
    }

    private static byte[] Write(List<byte[]> events, EvioCompression compression)
    {
        var stream = new MemoryStream();
        using (var w = new EvioWriter(stream, new EvioWriterOptions { BigEndian = true, Compression = compression, MaxEventsPerRecord = PerRecord, LeaveOpen = true }))
        {
            foreach (var e in events) w.WriteEvent(e);
        }

        return stream.ToArray();
    }

    /// <summary>The DC hits of each event as a DC::tdc bank (sector, layer, component, TDC), LZ4 records.</summary>
    private static byte[] WriteHipo(List<byte[]> events)
    {
        var stream = new MemoryStream();
        var hits = new Clas12Event();
        using (var w = new HipoWriter(stream, Clas12Schemas.All(), new HipoWriterOptions { MaxEventsPerRecord = PerRecord }, leaveOpen: true))
        {
            foreach (var e in events)
            {
                Evio6.Read(e, hits);
                var tdc = new BankBuilder(Clas12Schemas.DcTdc, rows: hits.DcHits.Count);
                for (var r = 0; r < hits.DcHits.Count; r++)
                {
                    var h = hits.DcHits[r];
                    tdc.PutByte("sector", r, (sbyte)h.Sector).PutByte("layer", r, (sbyte)h.Layer).PutShort("component", r, h.Wire).PutInt("TDC", r, h.Tdc);
                }

                w.AddEvent(new HipoEventBuilder().AddBank(tdc));
            }
        }

        return stream.ToArray();
    }

    private static long Walk(EvioEventCollection events)
    {
        long sum = 0;
        foreach (var ev in events)
        {
            foreach (var bank in ev.Root.Children)
            {
                if (bank.DataType != EvioDataType.UInt32) continue;
                foreach (var v in bank.UInt32s) sum += v;
            }
        }

        return sum;
    }

    /// <summary>Every event and every DC/EC word of the memory-mapped uncompressed file, in place.</summary>
    [Benchmark(Baseline = true)]
    public long EvioPlainMapped() => Walk(_mapped!.Events);

    /// <summary>The structure alone (every event's banks and their data spans, no value decoded): the zero-copy walk a filter or a router does.</summary>
    [Benchmark]
    public long EvioPlainStructure()
    {
        long bytes = 0;
        foreach (var ev in _mapped!.Events)
        {
            foreach (var bank in ev.Root.Children) bytes += bank.RawData.Length;
        }

        return bytes;
    }

    /// <summary>The same over the file's bytes in memory.</summary>
    [Benchmark]
    public long EvioPlainInMemory() => Walk(new EvioReader(_plain).Events);

    /// <summary>The same events in LZ4 records (each record inflated into a new buffer).</summary>
    [Benchmark]
    public long EvioLz4() => Walk(new EvioReader(_lz4).Events);

    /// <summary>The DC hits of the same events from HIPO 4 LZ4 records: every TDC value.</summary>
    [Benchmark]
    public long HipoLz4()
    {
        using var reader = new HipoReader(_hipo);
        long sum = 0;
        var tdc = Clas12Schemas.DcTdc.GetIndex("TDC");
        foreach (var ev in reader.ReadEvents())
        {
            var bank = ev.GetBank(Clas12Schemas.DcTdc);
            for (var r = 0; r < bank.Rows; r++) sum += bank.GetInt(tdc, r);
        }

        return sum;
    }

    /// <summary>K4os <c>LZ4Codec.Decode</c> alone: LZ4 blocks of the same event bytes, 1000 events each, into one buffer.</summary>
    [Benchmark]
    public long Lz4DecodeOnly()
    {
        long n = 0;
        foreach (var (compressed, length) in _blocks) n += LZ4Codec.Decode(compressed, _scratch.AsSpan(0, length));
        return n;
    }

    /// <summary>Adds MB/s of event data (<see cref="EventBytes"/> per operation).</summary>
    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(new EventBytesPerSecond());
    }

    private sealed class EventBytesPerSecond : IColumn
    {
        public string Id => nameof(EventBytesPerSecond);

        public string ColumnName => "Event MB/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Event data (EVIO bank bytes) read per second";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats || stats.Mean <= 0) return "-";
            return (EventBytes / (stats.Mean / 1e9) / 1e6).ToString("F0", System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}

using BenchmarkDotNet.Attributes;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Operators.Clas12.Calorimeter;
using Streams.Operators.Clas12.Decoding;
using Streams.Operators.Clas12.Evio;
using Streams.Operators.Clas12.Simulation;
using Streams.Operators.Clas12.Tracking;

namespace Streams.Benchmarks;

/// <summary>
/// Cost and allocation per event of each CLAS12 stage (2 tracks per event, 2% noise occupancy), and tracking with 1 and
/// 2 threads over the same events (each thread its own tracker, as the engine's workers). Results are per event.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class Clas12Benchmarks
{
    private const int Events = 512;
    private readonly List<List<TrackingHit>> _hits = [];
    private readonly List<ReconstructedTrack> _tracks = [];
    private Clas12Simulator _sim = null!;
    private EvioEvent _event = null!;
    private byte[] _buffer = [];
    private EventBatch _raw = null!;
    private EventBatch _decoded = null!;
    private EventBatch _tracked = null!;
    private ProcessContext _context = null!;
    private readonly Clas12Decoder _decoder = new();
    private readonly DcTrackingOperator _tracking = new();
    private readonly EcOperator _ec = new();
    private readonly DcTracker _tracker = new();

    [GlobalSetup]
    public void Setup()
    {
        _sim = new Clas12Simulator(new SimulationOptions { Seed = 7 });
        _event = new EvioEvent();
        _buffer = new byte[1 << 20];
        using var builder = new EventBatchBuilder(Events, Events * 4096);
        var sim = new Clas12Simulator(new SimulationOptions { Seed = 1 });
        var ev = new EvioEvent();
        for (var i = 0; i < Events; i++)
        {
            sim.Generate(ev);
            Evio6.Write(ev, builder.AddEvent(new EventMeta((ulong)i, 0, (ulong)i, 0), Evio6.SizeOf(ev)));
            _hits.Add([.. ev.DcHits.Select(h => TrackingHit.From(h))]);
        }

        _raw = builder.Build("evio/clas12");
        _context = new ProcessContext("bench", 0, RunLog.Null, new ErrorBook(RunLog.Null), (_, _) => { });
        _decoded = Run(_decoder, _raw);
        _tracked = Run(_tracking, _decoded);
    }

    private EventBatch Run(Engine.Operators.IProcessor op, EventBatch input)
    {
        _context.Begin(input);
        var output = op.Process(input, _context)!;
        _context.End();
        return output;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int SimulateAndEncode()
    {
        var n = 0;
        for (var i = 0; i < Events; i++)
        {
            _sim.Generate(_event);
            n += Evio6.Write(_event, _buffer);
        }

        return n;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int Decode()
    {
        using var output = Run(_decoder, _raw);
        return output.Count;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int TrackingAlgorithm()
    {
        var n = 0;
        foreach (var h in _hits)
        {
            _tracker.Reconstruct(h, _tracks);
            n += _tracks.Count;
        }

        return n;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int TrackingOperator()
    {
        using var output = Run(_tracking, _decoded);
        return output.Count;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int Calorimeter()
    {
        using var output = Run(_ec, _tracked);
        return output.Count;
    }
}

/// <summary>
/// Tracking throughput with 1 and 2 threads (each with its own tracker) over the same 1024 events, handed out one at a
/// time from a shared counter as a stage's workers take them from its queue (no static split that leaves one idle).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class Clas12TrackingScaling
{
    private const int Events = 1024;
    private readonly List<List<TrackingHit>> _hits = [];

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var sim = new Clas12Simulator(new SimulationOptions { Seed = 2 });
        var ev = new EvioEvent();
        for (var i = 0; i < Events; i++)
        {
            sim.Generate(ev);
            _hits.Add([.. ev.DcHits.Select(h => TrackingHit.From(h))]);
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int Track()
    {
        var total = 0;
        var threads = new Thread[Threads];
        var counts = new int[Threads];
        var next = -1;
        for (var t = 0; t < Threads; t++)
        {
            var id = t;
            threads[t] = new Thread(() =>
            {
                var tracker = new DcTracker();
                var tracks = new List<ReconstructedTrack>();
                var count = 0;
                int i;
                while ((i = Interlocked.Increment(ref next)) < Events)
                {
                    tracker.Reconstruct(_hits[i], tracks);
                    count += tracks.Count;
                }

                counts[id] = count;
            });
            threads[t].Start();
        }

        foreach (var th in threads) th.Join();
        foreach (var c in counts) total += c;
        return total;
    }
}

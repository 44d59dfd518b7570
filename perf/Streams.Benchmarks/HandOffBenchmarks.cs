using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;

namespace Streams.Benchmarks;

/// <summary>
/// The engine's own cost per event: synthetic (8-byte events) -> noop -> count through real stages, against a
/// baseline of two bare bounded channels moving arrays of the same batch size between three tasks (what the engine
/// would cost if it did nothing but hand off). Results are per event (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class HandOffBenchmarks
{
    private const int Events = 1 << 18;
    private PipelinePlan _plan = null!;

    [Params(1, 16, 64, 256, 1024)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var yaml = $$$"""
            name: handoff
            sources: [{name: gen, operator: synthetic, config: {event-size: 8, batch-size: {{{BatchSize}}}, count: {{{Events}}}}}]
            stages: [{name: work, operator: noop, input: gen, queue: 16}]
            sinks: [{name: out, operator: count, input: work, queue: 16}]
            """;
        var loaded = PipelineLoader.Load(yaml, "<bench>");
        _plan = PipelinePlanner.Plan(loaded.Spec!, BuiltinOperators.Register(new OperatorCatalog())).Plan
            ?? throw new InvalidOperationException("bench pipeline does not plan");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public async Task<long> BareChannels()
    {
        var options = new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true };
        var a = Channel.CreateBounded<long[]>(options);
        var b = Channel.CreateBounded<long[]>(options);
        var producer = Task.Run(async () =>
        {
            for (var sent = 0; sent < Events; sent += BatchSize)
            {
                var batch = new long[BatchSize];
                for (var i = 0; i < batch.Length; i++) batch[i] = sent + i;
                await a.Writer.WriteAsync(batch);
            }

            a.Writer.Complete();
        });
        var middle = Task.Run(async () =>
        {
            await foreach (var batch in a.Reader.ReadAllAsync()) await b.Writer.WriteAsync(batch);
            b.Writer.Complete();
        });
        long count = 0;
        await foreach (var batch in b.Reader.ReadAllAsync()) count += batch.Length;
        await Task.WhenAll(producer, middle);
        return count;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<long> Pipeline3Stages()
    {
        using var p = Pipeline.Create(_plan, new PipelineOptions { SampleInterval = TimeSpan.FromSeconds(10) });
        var s = await p.RunAsync();
        if (s.Events.Processed != Events) throw new InvalidOperationException($"lost events: {s.Events}");
        return s.Events.Processed;
    }
}

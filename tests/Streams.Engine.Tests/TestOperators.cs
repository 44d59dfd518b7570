using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;

namespace Streams.Engine.Tests;

/// <summary>Processor that sleeps per batch and records how many instances run at once.</summary>
internal sealed class ConcurrencyProbe(ConcurrencyProbe.Shared shared) : IProcessor
{
    public sealed class Shared
    {
        public int Current;
        public int Peak;
        public int Instances;
        public volatile int SleepMs = 5;

        public OperatorDescriptor Descriptor => new()
        {
            Name = "probe",
            Kind = OperatorKind.Processor,
            Description = "records concurrency",
            Factory = () =>
            {
                Interlocked.Increment(ref Instances);
                return new ConcurrencyProbe(this);
            },
        };

        public void ResetPeak() => Volatile.Write(ref Peak, 0);
    }

    public void Configure(OperatorConfig config)
    {
    }

    public void Reset()
    {
    }

    public EventBatch? Process(EventBatch input, ProcessContext context)
    {
        var now = Interlocked.Increment(ref shared.Current);
        int peak;
        while (now > (peak = Volatile.Read(ref shared.Peak)) && Interlocked.CompareExchange(ref shared.Peak, now, peak) != peak)
        {
        }

        Thread.Sleep(shared.SleepMs);
        Interlocked.Decrement(ref shared.Current);
        return input;
    }

    public void Dispose()
    {
    }
}

/// <summary>Sink that blocks while its gate is closed, and can throw on chosen batches.</summary>
internal sealed class GatedSink(GatedSink.Shared shared) : ISink
{
    public sealed class Shared
    {
        public ManualResetEventSlim Gate { get; } = new(true);

        public long Written;
        public int Flushes;
        public Func<EventBatch, bool> ThrowWhen { get; set; } = _ => false;

        public OperatorDescriptor Descriptor => new()
        {
            Name = "gated",
            Kind = OperatorKind.Sink,
            Description = "blocks while the gate is closed",
            Factory = () => new GatedSink(this),
        };
    }

    public void Configure(OperatorConfig config)
    {
    }

    public void Reset()
    {
    }

    public void Write(EventBatch batch, ProcessContext context)
    {
        shared.Gate.Wait();
        if (shared.ThrowWhen(batch)) throw new IOException("disk full (test)");
        Interlocked.Add(ref shared.Written, batch.Count);
    }

    public void Flush() => Interlocked.Increment(ref shared.Flushes);

    public void Dispose()
    {
    }
}

using MathNet.Numerics.Distributions;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Streams.Engine.Batches;
using Streams.Engine.Operators;

namespace Streams.Operators.Builtin;

/// <summary>
/// Generates events of a fixed size filled with seeded pseudo-random bytes (the event number in the first 8 bytes),
/// optionally at a fixed rate. The engine's own load generator: no setup, fully reproducible.
/// </summary>
public sealed class SyntheticSource : ISource
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "synthetic",
        Kind = OperatorKind.Source,
        Description = "Generates seeded pseudo-random events of a fixed size, as fast as possible or at a fixed rate.",
        OutputType = DataTypes.SyntheticBytes,
        Parameters =
        [
            new("count", ParameterType.Long, "0", "Events to generate; 0 for no limit (the run's event budget or duration stops it).") { Min = 0 },
            new("rate", ParameterType.Double, "0", "Events per second; 0 for as fast as the pipeline takes them.") { Min = 0 },
            new("rate-steps", ParameterType.List, "", "A rate that changes over time: 'SECONDS:RATE' items, each rate holding from its time on (overrides 'rate'), e.g. [0:500, 10:3000, 30:500].") ,
            new("arrivals", ParameterType.String, "even", "How events arrive at 'rate': even (evenly spaced) or poisson (exponential gaps, as queueing models assume; use batch-size 1).") { Choices = ["even", "poisson"] },
            new("event-size", ParameterType.Int, "256", "Payload bytes per event (at least 8: the event number).") { Min = 8, Max = 64 * 1024 * 1024 },
            new("batch-size", ParameterType.Int, "256", "Events per batch.") { Min = 1, Max = 1 << 20 },
            new("seed", ParameterType.Long, "1", "Seed of the payload generator."),
            new("data-id", ParameterType.Int, "0", "Data id stamped on every event (an EJFAT data id / detector stream).") { Min = 0, Max = ushort.MaxValue },
        ],
        Factory = () => new SyntheticSource(),
    };

    private long _count;
    private double _rate;
    private RateSteps _steps = RateSteps.None;
    private int _eventSize;
    private int _batchSize;
    private ulong _seed;
    private ushort _dataId;
    private bool _poisson;

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _count = config.GetLong("count");
        _rate = config.GetDouble("rate");
        _steps = RateSteps.From(config);
        _eventSize = config.GetInt("event-size");
        _batchSize = config.GetInt("batch-size");
        _seed = (ulong)config.GetLong("seed");
        _dataId = (ushort)config.GetInt("data-id");
        _poisson = config.GetString("arrivals") == "poisson";
    }

    public void Reset()
    {
    }

    public async Task RunAsync(SourceContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var builder = new EventBatchBuilder(_batchSize, _batchSize * _eventSize);
        var clock = Stopwatch.StartNew();
        ulong next = 0;
        var state = _seed | 1;
        var gaps = new Random(unchecked((int)_seed));
        var nextArrival = 0.0; // poisson: time of the next arrival
        while (!cancellationToken.IsCancellationRequested)
        {
            var wanted = _batchSize;
            if (_count > 0) wanted = (int)Math.Min(wanted, _count - (long)next);
            if (wanted <= 0) break;
            if (!_steps.IsEmpty)
            {
                // Piecewise rate: emit what is due by now at the rate in force, in slices of at most 10 ms of events.
                var elapsed = clock.Elapsed.TotalSeconds;
                var rate = _steps.RateAt(elapsed);
                if (rate <= 0 || next >= _steps.Due(elapsed))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                wanted = (int)Math.Max(1, Math.Min(wanted, Math.Min(_steps.Due(elapsed) - next, Math.Ceiling(rate * 0.01))));
            }
            else if (_rate > 0 && _poisson)
            {
                var ahead = nextArrival - clock.Elapsed.TotalSeconds;
                if (ahead > 0.001) await Task.Delay(TimeSpan.FromSeconds(ahead), cancellationToken).ConfigureAwait(false);
                var at = clock.Elapsed.TotalSeconds;
                var arrived = 0;
                while (arrived < wanted && nextArrival <= at)
                {
                    arrived++;
                    nextArrival += Exponential.Sample(gaps, _rate);
                }

                if (arrived == 0) continue;
                wanted = arrived;
            }
            else if (_rate > 0)
            {
                var due = TimeSpan.FromSeconds(next / _rate);
                var ahead = due - clock.Elapsed;
                if (ahead > TimeSpan.FromMilliseconds(1)) await Task.Delay(ahead, cancellationToken).ConfigureAwait(false);
                wanted = (int)Math.Max(1, Math.Min(wanted, Math.Ceiling(_rate * 0.01))); // at most 10 ms of events per batch
            }

            var granted = context.TryReserve(wanted);
            if (granted == 0) break;
            var now = Stopwatch.GetTimestamp();
            for (var i = 0; i < granted; i++)
            {
                var payload = builder.AddEvent(new EventMeta(next, _dataId, next, now), _eventSize);
                Fill(payload, next, ref state);
                next++;
            }

            await context.EmitAsync(builder.Build(DataTypes.SyntheticBytes)).ConfigureAwait(false);
        }
    }

    /// <summary>The event number, then xorshift64 words.</summary>
    public static void Fill(Span<byte> payload, ulong eventNumber, ref ulong state)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(payload);
        words[0] = eventNumber;
        for (var w = 1; w < words.Length; w++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            words[w] = state;
        }

        for (var b = words.Length * 8; b < payload.Length; b++) payload[b] = (byte)(state >> (b & 7));
    }

    public void Dispose()
    {
    }
}

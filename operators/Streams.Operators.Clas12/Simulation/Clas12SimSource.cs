using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Operators.Clas12.Evio;

namespace Streams.Operators.Clas12.Simulation;

/// <summary>The <c>clas12-sim</c> source: simulated DAQ events encoded as EVIO 6 (<c>evio/clas12</c>), truth inside.</summary>
internal sealed class Clas12SimSource : ISource
{
    public const string DataType = "evio/clas12";

    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "clas12-sim",
        Kind = OperatorKind.Source,
        Description = "Simulated CLAS12-like DAQ events (drift-chamber hits, calorimeter strips, truth) encoded as EVIO 6.",
        OutputType = DataType,
        Parameters =
        [
            new("count", ParameterType.Long, "0", "Events to generate (0: until the run stops).") { Min = 0 },
            new("tracks", ParameterType.Int, "2", "Charged tracks per event.") { Min = 0, Max = 20 },
            new("p-min", ParameterType.Double, "1.0", "Smallest momentum (GeV).") { Min = 0.2, Max = 11 },
            new("p-max", ParameterType.Double, "6.0", "Largest momentum (GeV).") { Min = 0.2, Max = 11 },
            new("charge", ParameterType.Int, "0", "Charge of the tracks: -1, 1, or 0 for either.") { Min = -1, Max = 1 },
            new("tx-max", ParameterType.Double, "0.12", "Largest |slope| in the bending plane at the target (dx/dz).") { Min = 0, Max = 0.5 },
            new("ty-max", ParameterType.Double, "0.08", "Largest |slope| across the bending plane (dy/dz).") { Min = 0, Max = 0.5 },
            new("efficiency", ParameterType.Double, "0.97", "Hit efficiency per layer.") { Min = 0, Max = 1 },
            new("noise", ParameterType.Double, "0.02", "Probability that a wire fires at random.") { Min = 0, Max = 0.5 },
            new("resolution", ParameterType.Double, "0.03", "Hit position resolution (cm).") { Min = 0, Max = 1 },
            new("seed", ParameterType.Long, "1", "Random seed (reproducible events)."),
            new("batch-size", ParameterType.Int, "32", "Events per batch.") { Min = 1, Max = 65536 },
        ],
        Factory = () => new Clas12SimSource(),
    };

    private SimulationOptions _options = new();
    private long _count;
    private int _batchSize;

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.GetDouble("p-min") > config.GetDouble("p-max")) throw new ConfigException($"stage '{config.StageName}': p-min is above p-max", config.Values.GetValueOrDefault("p-min")?.Location);
        _options = new SimulationOptions
        {
            TracksPerEvent = config.GetInt("tracks"),
            PMin = config.GetDouble("p-min"),
            PMax = config.GetDouble("p-max"),
            Charge = config.GetInt("charge"),
            TxMax = config.GetDouble("tx-max"),
            TyMax = config.GetDouble("ty-max"),
            HitEfficiency = config.GetDouble("efficiency"),
            NoiseRate = config.GetDouble("noise"),
            Resolution = config.GetDouble("resolution"),
            Seed = config.GetLong("seed"),
        };
        _count = config.GetLong("count");
        _batchSize = config.GetInt("batch-size");
    }

    public void Reset()
    {
    }

    public async Task RunAsync(SourceContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var sim = new Clas12Simulator(_options);
        var ev = new EvioEvent();
        using var builder = new EventBatchBuilder(_batchSize, _batchSize * 4096);
        ulong next = 0;
        while (!cancellationToken.IsCancellationRequested && (_count == 0 || (long)next < _count))
        {
            var wanted = _count == 0 ? _batchSize : (int)Math.Min(_batchSize, _count - (long)next);
            var granted = context.TryReserve(wanted);
            if (granted == 0) break;
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            for (var i = 0; i < granted; i++, next++)
            {
                sim.Generate(ev);
                var span = builder.AddEvent(new EventMeta(next, 0, next, now), Evio6.SizeOf(ev));
                Evio6.Write(ev, span);
            }

            await context.EmitAsync(builder.Build(DataType)).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
    }
}

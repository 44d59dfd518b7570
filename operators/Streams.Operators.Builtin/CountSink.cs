using Streams.Engine.Batches;
using Streams.Engine.Operators;

namespace Streams.Operators.Builtin;

/// <summary>
/// Counts events and payload bytes and logs the totals at the end. Can stall or slow down on purpose, to show
/// backpressure (a stalled sink fills the queues, the source waits, memory stays flat, nothing is lost).
/// </summary>
internal sealed class CountSink : ISink
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "count",
        Kind = OperatorKind.Sink,
        Description = "Counts events and bytes; optionally stalls or slows down (to demonstrate backpressure).",
        Parameters =
        [
            new("stall-seconds", ParameterType.Double, "0", "Block on the first batch for this long (a stalled consumer).") { Min = 0 },
            new("delay-us", ParameterType.Double, "0", "Sleep this long per batch (a slow consumer).") { Min = 0 },
        ],
        Factory = () => new CountSink(),
    };

    private double _stallSeconds;
    private double _delayUs;
    private bool _stalled;
    private RunLog? _log;
    private string _stage = "";

    public long Events { get; private set; }

    public long Bytes { get; private set; }

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _stallSeconds = config.GetDouble("stall-seconds");
        _delayUs = config.GetDouble("delay-us");
    }

    public void Reset()
    {
        Events = 0;
        Bytes = 0;
        _stalled = false;
    }

    public void Write(EventBatch batch, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        _log ??= context.Log;
        _stage = context.StageName;
        if (!_stalled && _stallSeconds > 0)
        {
            _stalled = true;
            context.Log.Info(context.StageName, $"stalling for {_stallSeconds} s (stall-seconds)");
            Thread.Sleep(TimeSpan.FromSeconds(_stallSeconds));
        }

        if (_delayUs > 0) Thread.Sleep(TimeSpan.FromMicroseconds(_delayUs));
        Events += batch.Count;
        Bytes += batch.PayloadBytes;
    }

    public void Flush() => _log?.Info(_stage, $"counted {Events} events, {Bytes} payload bytes");

    public void Dispose()
    {
    }
}

using Streams.Engine.Batches;
using Streams.Engine.Operators;

namespace Streams.Operators.Builtin;

/// <summary>
/// Misbehaves on purpose, by event number, so failure handling can be tested and demonstrated: fails every Nth event,
/// drops every Mth event (a filter), or throws on every batch holding an event number divisible by K.
/// </summary>
internal sealed class FaultInject : IProcessor
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "fault-inject",
        Kind = OperatorKind.Processor,
        Description = "Fails, drops or throws on chosen event numbers (for testing failure handling).",
        InputTypes = ["binary/*"],
        Parameters =
        [
            new("fail-every", ParameterType.Long, "0", "Fail events whose number is divisible by this (0: never).") { Min = 0 },
            new("drop-every", ParameterType.Long, "0", "Drop (filter out) events whose number is divisible by this (0: never).") { Min = 0 },
            new("throw-every", ParameterType.Long, "0", "Throw from Process for a batch holding an event number divisible by this (0: never).") { Min = 0 },
            new("severity", ParameterType.String, "error", "Severity of injected failures; 'fatal' stops the run's intake.") { Choices = ["error", "fatal"] },
        ],
        Factory = () => new FaultInject(),
    };

    private ulong _failEvery;
    private ulong _dropEvery;
    private ulong _throwEvery;
    private Severity _severity;

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _failEvery = (ulong)config.GetLong("fail-every");
        _dropEvery = (ulong)config.GetLong("drop-every");
        _throwEvery = (ulong)config.GetLong("throw-every");
        _severity = config.GetString("severity") == "fatal" ? Severity.Fatal : Severity.Error;
    }

    public void Reset()
    {
    }

    public EventBatch? Process(EventBatch input, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        var meta = input.Meta;
        if (_throwEvery > 0)
        {
            foreach (var m in meta)
            {
                if (m.EventNumber % _throwEvery == 0) throw new InvalidDataException($"injected exception (batch holds an event number divisible by {_throwEvery})");
            }
        }

        var drop = false;
        for (var i = 0; i < meta.Length; i++)
        {
            var n = meta[i].EventNumber;
            if (_failEvery > 0 && n % _failEvery == 0) context.Fail(i, $"injected failure (event number divisible by {_failEvery})", _severity);
            else if (_dropEvery > 0 && n % _dropEvery == 0) drop = true;
        }

        if (!drop) return input;
        using var kept = new EventBatchBuilder(input.Count, input.HasBytes ? input.PayloadBytes : 1);
        for (var i = 0; i < meta.Length; i++)
        {
            var n = meta[i].EventNumber;
            if (_failEvery > 0 && n % _failEvery == 0) continue;
            if (n % _dropEvery == 0) continue;
            if (input.HasBytes) kept.AddFrom(input, i);
            else kept.AddFrom(input, i, []);
        }

        return kept.Build(input.DataType);
    }

    public void Dispose()
    {
    }
}

using Streams.Engine.Batches;
using Streams.Engine.Operators;

namespace Streams.Engine.Runtime;

/// <summary>An event an operator failed: its index in the input batch, the message and the severity.</summary>
public readonly record struct HostedFailure(int Index, string Message, Severity Severity);

/// <summary>
/// What a hosted processor made of one batch: the output (null: nothing), the input index of every output event
/// (<see cref="Kept"/>, in output order), and the events it failed. The caller owns and disposes <see cref="Output"/>.
/// </summary>
public sealed record HostedResult(EventBatch? Output, int[] Kept, IReadOnlyList<HostedFailure> Failures);

/// <summary>
/// Runs one processor instance outside a pipeline, as a worker process does for a stage placed on workers: the
/// coordinator owns the accounting, so the host only reports which input events came out and which failed. Feed it
/// batches made by <see cref="EventBatch.FromBytes"/> or <see cref="EventBatch.FromSource"/>. Not thread-safe: use one
/// host per thread, as a stage uses one operator per worker.
/// </summary>
public sealed class OperatorHost : IDisposable
{
    private readonly IProcessor _processor;
    private readonly ProcessContext _context;
    private readonly List<HostedFailure> _failures = [];

    /// <summary>Makes and configures the operator; throws <see cref="ConfigException"/> for a bad configuration.</summary>
    public OperatorHost(OperatorDescriptor descriptor, OperatorConfig config, string stageName, int workerId, RunLog log)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.Kind != OperatorKind.Processor) throw new ArgumentException($"operator '{descriptor.Name}' is a {descriptor.Kind}, not a processor", nameof(descriptor));
        var op = descriptor.Factory();
        try
        {
            op.Configure(config);
        }
        catch
        {
            op.Dispose();
            throw;
        }

        _processor = (IProcessor)op;
        _context = new ProcessContext(stageName, workerId, log, new ErrorBook(log), (_, _) => { })
        {
            FailureObserver = (i, m, s) => _failures.Add(new HostedFailure(i, m, s)),
        };
    }

    /// <summary>Processes <paramref name="input"/> (which the host disposes unless it is returned as the output).</summary>
    public HostedResult Process(EventBatch input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _failures.Clear();
        _context.Begin(input);
        EventBatch? output;
        try
        {
            output = _processor.Process(input, _context);
        }
        catch (Exception e)
        {
            _context.FailRemaining(StageRunner.Describe(e));
            output = null;
        }

        // The output type is checked where the run's books are (the coordinator's stage), so no type rule here.
        output = BatchSettlement.Settle(input, output, _context, rule: null, out _);
        var kept = output?.SourceIndices() ?? [];
        return new HostedResult(output, kept, [.. _failures]);
    }

    public void Dispose() => _processor.Dispose();
}

using Streams.Engine.Batches;
using Streams.Engine.Runtime;

namespace Streams.Engine.Operators;

/// <summary>
/// What every operator does, in the spirit of an ERSAP engine: it is configured once, may be reset between runs, and
/// is disposed at the end. The engine makes one instance per worker (unless the descriptor says the operator is
/// shareable), so operator code needs no locks. Name, description, version and data types live in its
/// <see cref="OperatorDescriptor"/>.
/// </summary>
public interface IOperator : IDisposable
{
    /// <summary>Reads the operator's parameters. Throw <see cref="ConfigException"/> for a bad value.</summary>
    void Configure(OperatorConfig config);

    /// <summary>Returns the operator to its freshly configured state.</summary>
    void Reset();
}

/// <summary>Produces batches (a synthetic generator, a file reader, a UDP receiver).</summary>
public interface ISource : IOperator
{
    /// <summary>
    /// Emits batches through <paramref name="context"/> until the input ends or <paramref name="cancellationToken"/>
    /// asks intake to stop; then returns. Call <see cref="SourceContext.TryReserve"/> before building each batch.
    /// </summary>
    Task RunAsync(SourceContext context, CancellationToken cancellationToken);
}

/// <summary>Transforms batches (decoding, reconstruction, filtering).</summary>
public interface IProcessor : IOperator
{
    /// <summary>
    /// Processes one batch. Return it (possibly modified in place), a new batch built from it
    /// (<see cref="EventBatchBuilder.AddFrom(EventBatch, int, ReadOnlySpan{byte})"/>,
    /// <see cref="EventBatch.FromRecords(EventBatch, string, Apache.Arrow.RecordBatch)"/>), or null to drop it all. Events reported through
    /// <see cref="ProcessContext.Fail"/> are counted as failed and removed from a batch that is passed through.
    /// The engine disposes the input when a different batch is returned.
    /// </summary>
    EventBatch? Process(EventBatch input, ProcessContext context);
}

/// <summary>
/// A processor whose result arrives later, such as a stage that runs on worker processes: the engine awaits it, so a
/// batch in flight holds a worker slot of the stage but no thread. Implementations are shared by every slot.
/// </summary>
public interface IAsyncProcessor : IOperator
{
    /// <summary>As <see cref="IProcessor.Process"/>, completing when the result is in.</summary>
    ValueTask<EventBatch?> ProcessAsync(EventBatch input, ProcessContext context);
}

/// <summary>Consumes batches at the end of a path (counting, writing files, validation).</summary>
public interface ISink : IOperator
{
    /// <summary>Consumes one batch; the engine disposes it afterwards.</summary>
    void Write(EventBatch batch, ProcessContext context);

    /// <summary>Writes out anything buffered; called once when the pipeline drains.</summary>
    void Flush();
}

using Streams.Engine.Batches;

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

/// <summary>
/// A source that must acquire something before the run starts (a UDP port, a file). The engine opens every such source
/// before any source runs; when one cannot open, no source runs and the run ends with "a source could not start"
/// (exit status 5), so nothing is sent toward a port another run holds.
/// </summary>
public interface IOpeningSource : ISource
{
    /// <summary>Acquires the source's resources; throw (with a clear message) when it cannot.</summary>
    void Open(SourceContext context);
}

/// <summary>
/// A sink whose output must stay valid when the run is aborted without a drain (a second Ctrl+C): <see cref="Abort"/>
/// is called from another thread, possibly while <see cref="ISink.Write"/> runs, and must leave a readable file (with
/// what was written so far) or remove it and say so. Later writes fail.
/// </summary>
public interface IAbortableSink : ISink
{
    /// <summary>Closes the output in a valid state; returns a one-line account of what it holds or lost.</summary>
    string Abort();
}

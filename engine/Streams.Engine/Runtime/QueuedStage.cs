using Streams.Engine.Operators;
using Streams.Engine.Spec;

namespace Streams.Engine.Runtime;

/// <summary>
/// A processor or sink stage as the pipeline drives it: what serves it reads its bounded input queue and writes to its
/// outlet; it is started, run until its input drains, and aborted. The two kinds are <see cref="StageRunner"/> (a
/// pool of threads in this process) and <see cref="RemoteStageRunner"/> (worker processes serve it).
/// </summary>
internal abstract class QueuedStage : IStage
{
    protected QueuedStage(PlannedNode node, StageInput input, Outlet? outlet, RunShared run)
    {
        Node = node;
        Run = run;
        Input = input;
        Outlet = outlet;
        Stats = new StageStats(run.Metrics, run.Pipeline, node.Name, node.Kind.ToString().ToLowerInvariant());
        Stats.QueueCapacityGauge.Set(input.Capacity);
        TypeRule = OutputTypeRule.For(node, run.Errors);
    }

    public string Name => Node.Name;

    public OperatorKind Kind => Node.Kind;

    public StageStats Stats { get; }

    public StageInput Input { get; }

    public int QueueDepth => Input.Depth;

    public int QueueCapacity => Input.Capacity;

    public abstract int Threads { get; }

    public abstract int MaxThreads { get; }

    public abstract int PeakThreads { get; }

    public abstract int SetThreads(int threads);

    /// <summary>Starts serving the input.</summary>
    public abstract void Start();

    /// <summary>Completes when the input is closed and drained and the stage's outlet is closed.</summary>
    public abstract Task RunToCompletionAsync();

    /// <summary>Aborts the stage's sinks without a drain (a second Ctrl+C); nothing for a stage that has none.</summary>
    public virtual void AbortSinks()
    {
    }

    /// <summary>
    /// An engine-side failure around an operator or stand-in while handling <paramref name="batch"/>: the batch settles
    /// as discarded, and the run logs it, stops intake and drains.
    /// </summary>
    protected void InternalError(Batches.EventBatch batch, ProcessContext context, Exception e)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(e);
        context.End();
        batch.Dispose();
        Run.Log.Error(Name, $"internal error handling a batch: {StageRunner.Describe(e)}");
        Run.Fatal(Name, $"internal error: {e.Message}");
    }

    /// <summary>
    /// Settles a processed batch (<see cref="BatchSettlement"/>), records it in the stage's counters with its
    /// <paramref name="busy"/> ticks, and returns what goes downstream (null: nothing, or no outlet).
    /// </summary>
    protected Batches.EventBatch? Settle(Batches.EventBatch batch, Batches.EventBatch? output, ProcessContext ctx, int nIn, long busy)
    {
        output = BatchSettlement.Settle(batch, output, ctx, TypeRule, out var failed);
        var nOut = output?.Count ?? 0;
        Stats.RecordBatch(nIn, nOut, failed, busy);
        if (output is null) return null;
        if (nOut == 0 || Outlet is null)
        {
            output.Dispose();
            return null;
        }

        return output;
    }

    protected PlannedNode Node { get; }

    protected RunShared Run { get; }

    /// <summary>Where the stage's output goes (null for a sink).</summary>
    protected Outlet? Outlet { get; }

    /// <summary>The declared output type a processor's output must have (null: any).</summary>
    protected OutputTypeRule? TypeRule { get; }
}

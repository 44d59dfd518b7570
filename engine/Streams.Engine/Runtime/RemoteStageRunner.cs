using System.Diagnostics;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Spec;

namespace Streams.Engine.Runtime;

/// <summary>
/// Runs a stage placed on worker processes (<c>placement: workers</c>): a fixed number of slots (batches in flight)
/// read the stage's input queue and hand each batch to the stand-in an <see cref="IRemoteStages"/> gave for the
/// stage, which sends it to the worker processes and returns their answer. The books of the run stay here: the output
/// settles by the same <see cref="BatchSettlement"/> rule as a stage in this process. What serves the stage are the
/// worker processes' threads for this stage (<see cref="Threads"/>, as the coordinator last published them); this
/// process cannot add any, so <see cref="SetThreads"/> changes nothing and sizing is the node provider's business.
/// </summary>
internal sealed class RemoteStageRunner : QueuedStage
{
    private readonly IAsyncProcessor _processor;
    private readonly Func<RemoteStageState> _state;
    private Task[] _slots = [];

    public RemoteStageRunner(PlannedNode node, StageInput input, Outlet? outlet, RunShared run, IAsyncProcessor processor, int slots, Func<RemoteStageState> state)
        : base(node, input, outlet, run)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _processor = processor;
        _state = state;
        Slots = slots;
    }

    /// <summary>Batches of this stage that may be in flight at once (handed over, waiting for or held by worker processes).</summary>
    public int Slots { get; }

    /// <summary>The threads the worker processes run for this stage now (as last published by the coordinator).</summary>
    public override int Threads => _state().Threads;

    /// <summary>
    /// The most threads that can serve the stage at once: one batch in flight keeps one thread busy, so
    /// <see cref="Slots"/>, or the threads that have joined if more have.
    /// </summary>
    public override int MaxThreads => Math.Max(Slots, Threads);

    /// <summary>The most worker-process threads that served this stage at once so far.</summary>
    public override int PeakThreads => _state().PeakThreads;

    /// <summary>
    /// Changes nothing: threads of worker processes cannot be added from here (a node provider adds worker processes).
    /// Returns <see cref="Threads"/>, the threads serving the stage now.
    /// </summary>
    public override int SetThreads(int threads) => Threads;

    public override void Start()
    {
        if (_slots.Length > 0) return;
        _slots = [.. Enumerable.Range(0, Slots).Select(id => Task.Factory.StartNew(() => SlotLoopAsync(id), CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).Unwrap())];
    }

    public override async Task RunToCompletionAsync()
    {
        try
        {
            await Input.Channel.Reader.Completion.ConfigureAwait(false);
            await Task.WhenAll(_slots).ConfigureAwait(false);
        }
        finally
        {
            // Whatever happened here, downstream must learn that this stage is done, or the pipeline never ends.
            Stats.WorkersGauge.Set(0);
            Outlet?.Complete();
        }
    }

    /// <summary>Nothing to abort: a stage on worker processes is a processor.</summary>
    public override void AbortSinks()
    {
    }

    private async Task SlotLoopAsync(int slot)
    {
        var reader = Input.Channel.Reader;
        var ctx = new ProcessContext(Name, slot, Run.Log, Run.Errors, Run.Fatal) { SummarySections = (k, f) => Run.SummarySections.TryAdd(k, f) };
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var batch))
            {
                EventBatch? output;
                try
                {
                    output = await ProcessAsync(batch, ctx).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // Around the stand-in (its own exceptions are caught in ProcessAsync): the slot keeps reading.
                    InternalError(batch, ctx, e);
                    continue;
                }

                if (output is not null) await Outlet!.WriteAsync(output).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Hands the batch over and settles the answer (busy time is time in flight); returns what goes downstream.</summary>
    private async ValueTask<EventBatch?> ProcessAsync(EventBatch batch, ProcessContext ctx)
    {
        var nIn = batch.Count;
        ctx.Begin(batch);
        var t0 = Stopwatch.GetTimestamp();
        EventBatch? output;
        try
        {
            output = await _processor.ProcessAsync(batch, ctx).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ctx.FailRemaining(StageRunner.Describe(e));
            output = null;
        }

        return Settle(batch, output, ctx, nIn, Stopwatch.GetTimestamp() - t0);
    }
}

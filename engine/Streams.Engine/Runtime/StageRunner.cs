using System.Diagnostics;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Spec;

namespace Streams.Engine.Runtime;

/// <summary>
/// Runs a processor or sink stage in this process: a pool of threads reading batches from the stage's
/// bounded input queue. Each thread owns its operator instance (unless the operator is shareable), so operators need
/// no locks. The pool can grow or shrink while the pipeline runs. When the queue is closed and empty, the threads
/// stop, sinks flush, and the stage closes its own outlet so downstream stages drain in turn. A stage placed on worker
/// processes is a <see cref="RemoteStageRunner"/>.
/// </summary>
internal sealed partial class StageRunner : QueuedStage
{
    private readonly Lock _gate = new();
    private readonly List<PoolThread> _threads = [];
    private readonly List<IOperator> _live = []; // operator instances in use, for AbortSinks
    private IOperator? _shared;
    private int _nextThreadId;
    private int _target;
    private int _peak;
    private bool _closing;

    public StageRunner(PlannedNode node, StageInput input, Outlet? outlet, RunShared run)
        : base(node, input, outlet, run)
    {
    }

    /// <summary>Threads serving the stage now.</summary>
    public override int Threads
    {
        get
        {
            lock (_gate) return _threads.Count;
        }
    }

    public override int MaxThreads => Node.MaxWorkers;

    public override int PeakThreads => Volatile.Read(ref _peak);

    public override void Start() => SetThreads(Node.Spec.Workers);

    public override int SetThreads(int threads)
    {
        lock (_gate)
        {
            if (_closing) return _target;
            _target = Math.Clamp(threads, 1, MaxThreads);
            // Workers told to stop may still be finishing a batch: only those not stopping count toward the target.
            while (_threads.Count(x => !x.Stop.IsCancellationRequested) < _target)
            {
                var w = new PoolThread(_nextThreadId++);
                _threads.Add(w);
                w.Task = Task.Factory.StartNew(() => ThreadLoopAsync(w), CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).Unwrap();
            }

            for (var i = _threads.Count - 1; i >= 0 && _threads.Count(x => !x.Stop.IsCancellationRequested) > _target; i--)
            {
                _threads[i].Stop.Cancel();
            }

            _peak = Math.Max(_peak, _target);
            Stats.WorkersGauge.Set(_target);

            return _target;
        }
    }

    /// <summary>Completes when the input is closed and drained, every worker has stopped, and the outlet is closed.</summary>
    public override async Task RunToCompletionAsync()
    {
        try
        {
            await DrainAsync().ConfigureAwait(false);
        }
        finally
        {
            // Whatever happened here, downstream must learn that this stage is done, or the pipeline never ends.
            Stats.WorkersGauge.Set(0);
            Outlet?.Complete();
        }
    }

    private async Task DrainAsync()
    {
        await Input.Channel.Reader.Completion.ConfigureAwait(false);
        lock (_gate) _closing = true;
        while (true)
        {
            Task[] tasks;
            lock (_gate) tasks = _threads.Select(w => w.Task!).ToArray();
            if (tasks.Length == 0) break;
            await Task.WhenAll(tasks).ConfigureAwait(false);
            lock (_gate)
            {
                if (_threads.Count == 0) break;
            }
        }

        if (_shared is not null)
        {
            FlushAndDispose(_shared);
            _shared = null;
        }
    }

    private async Task ThreadLoopAsync(PoolThread w)
    {
        var reader = Input.Channel.Reader;
        var ctx = new ProcessContext(Name, w.Id, Run.Log, Run.Errors, Run.Fatal) { SummarySections = (k, f) => Run.SummarySections.TryAdd(k, f) };
        var op = AcquireOperator(w.Id);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(w.Stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break; // scaled down
                }

                if (!more) break;
                while (!w.Stop.IsCancellationRequested && reader.TryRead(out var batch))
                {
                    EventBatch? output = null;
                    try
                    {
                        if (op is null) FailUnserved(batch, ctx);
                        else if (op is ISink sink) Consume(sink, batch, ctx);
                        else output = Process((IProcessor)op, batch, ctx);
                    }
                    catch (Exception e)
                    {
                        // Around the operator (its own exceptions are caught in Process/Consume): the thread keeps reading.
                        InternalError(batch, ctx, e);
                        continue;
                    }

                    if (output is not null) await Outlet!.WriteAsync(output).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (op is not null && !ReferenceEquals(op, _shared)) FlushAndDispose(op);
            lock (_gate)
            {
                _threads.Remove(w);
                if (op is not null) _live.Remove(op);
            }

            w.Stop.Dispose();
        }
    }

    /// <summary>Runs the operator on a batch and returns what goes downstream (null: nothing).</summary>
    private EventBatch? Process(IProcessor op, EventBatch batch, ProcessContext ctx)
    {
        var nIn = batch.Count;
        ctx.Begin(batch);
        var t0 = Stopwatch.GetTimestamp();
        EventBatch? output;
        try
        {
            output = op.Process(batch, ctx);
        }
        catch (Exception e)
        {
            ctx.FailRemaining(Describe(e));
            output = null;
        }

        return Settle(batch, output, ctx, nIn, Stopwatch.GetTimestamp() - t0);
    }

    private void Consume(ISink sink, EventBatch batch, ProcessContext ctx)
    {
        var n = batch.Count;
        ctx.Begin(batch);
        var t0 = Stopwatch.GetTimestamp();
        try
        {
            sink.Write(batch, ctx);
        }
        catch (Exception e)
        {
            // A sink that throws could not write its output: the events not yet failed are failed (they did not reach
            // it), and the run's verdict becomes "an output could not be written".
            var before = ctx.FailedCount;
            ctx.FailRemaining(Describe(e));
            Run.Faults.Output(Name, Describe(e), ctx.FailedCount - before);
        }

        var busy = Stopwatch.GetTimestamp() - t0;
        var failed = ctx.FailedCount;
        ctx.End();
        batch.MarkDelivered(); // failed events stay failed: failure outranks delivery when the books settle
        batch.Dispose();
        Stats.RecordBatch(n, n - failed, failed, busy);
    }

    private void FailUnserved(EventBatch batch, ProcessContext ctx)
    {
        var n = batch.Count;
        ctx.Begin(batch);
        ctx.FailRemaining($"stage '{Name}' has no working operator instance");
        ctx.End();
        batch.Dispose();
        Stats.RecordBatch(n, 0, n, 0);
    }

    internal static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message}";

    private sealed class PoolThread(int id)
    {
        public int Id { get; } = id;

        public CancellationTokenSource Stop { get; } = new();

        public Task? Task { get; set; }
    }
}

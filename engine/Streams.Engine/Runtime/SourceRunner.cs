using Streams.Engine.Operators;
using Streams.Engine.Spec;

namespace Streams.Engine.Runtime;

/// <summary>
/// Runs a source: one operator instance that emits batches until its input ends or intake stops. A source that throws
/// is reported and stops; the rest of the pipeline drains what it already emitted.
/// </summary>
internal sealed class SourceRunner : IStage
{
    private readonly PlannedNode _node;
    private readonly RunShared _run;
    private readonly Outlet _outlet;
    private int _running;

    public SourceRunner(PlannedNode node, Outlet outlet, RunShared run)
    {
        _node = node;
        _run = run;
        _outlet = outlet;
        Stats = new StageStats(run.Metrics, run.Pipeline, node.Name, "source");
    }

    public string Name => _node.Name;

    public OperatorKind Kind => OperatorKind.Source;

    public StageStats Stats { get; }

    public int QueueDepth => 0;

    public int QueueCapacity => 0;

    public int Workers => Volatile.Read(ref _running);

    public int MaxWorkers => 1;

    public int PeakWorkers => 1;

    /// <summary>Sources run one instance; the pool size is fixed.</summary>
    public int SetWorkers(int workers) => 1;

    public async Task RunAsync(CancellationToken intake)
    {
        await Task.Yield();
        Volatile.Write(ref _running, 1);
        Stats.WorkersGauge.Set(1);
        var ctx = new SourceContext(Name, _run.Log, _outlet, _run.Budget, _run.Accounts, Stats, _run);
        try
        {
            using var op = (ISource)_node.Descriptor.Factory();
            op.Configure(_node.Config);
            await op.RunAsync(ctx, intake).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (intake.IsCancellationRequested)
        {
            // intake stopped while the source waited: the normal way out
        }
        catch (Exception e)
        {
            var message = $"source failed: {StageRunner.Describe(e)}";
            _run.Log.Error(Name, message);
            _run.Errors.Report(Name, Severity.Error, message, 0, -1);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
            Stats.WorkersGauge.Set(0);
            _outlet.Complete();
        }
    }
}

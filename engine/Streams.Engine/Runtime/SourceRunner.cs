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
    private readonly EventBudget _budget;
    private ISource? _op;
    private SourceContext? _context;
    private int _running;

    public SourceRunner(PlannedNode node, Outlet outlet, RunShared run)
    {
        _node = node;
        _run = run;
        _outlet = outlet;
        _budget = new EventBudget(run.EventLimit, run.Intake);
        Stats = new StageStats(run.Metrics, run.Pipeline, node.Name, "source");
    }

    public string Name => _node.Name;

    public OperatorKind Kind => OperatorKind.Source;

    public StageStats Stats { get; }

    public int QueueDepth => 0;

    public int QueueCapacity => 0;

    public int Threads => Volatile.Read(ref _running);

    public int MaxThreads => 1;

    public int PeakThreads => 1;

    /// <summary>Sources run one instance; the pool size is fixed.</summary>
    public int SetThreads(int threads) => 1;

    /// <summary>True once this source has emitted its whole <c>--events</c> budget.</summary>
    public bool BudgetExhausted => _budget.Exhausted;

    /// <summary>
    /// Makes and configures the operator and, for an <see cref="IOpeningSource"/>, opens it. Returns false (the
    /// failure recorded and logged) when it cannot; the source then does not run.
    /// </summary>
    public bool Open()
    {
        _context = new SourceContext(Name, _run.Log, new SourceHost(Name, _outlet, _budget, _run.Accounts, Stats, _run));
        try
        {
            _op = (ISource)_node.Descriptor.Factory();
            _op.Configure(_node.Config);
            if (_op is IOpeningSource opening) opening.Open(_context);
            return true;
        }
        catch (Exception e)
        {
            Fail($"could not start: {Describe(e)}");
            _op?.Dispose();
            _op = null;
            return false;
        }
    }

    /// <summary>Releases an opened source that will not run (another source could not start).</summary>
    public void Close()
    {
        _op?.Dispose();
        _op = null;
    }

    /// <summary>Runs the opened source to its end; a source that was not opened (or failed to) only closes its outlet.</summary>
    public async Task RunAsync(CancellationToken intake)
    {
        await Task.Yield();
        if (_op is null || _context is null)
        {
            _outlet.Complete();
            return;
        }

        Volatile.Write(ref _running, 1);
        Stats.WorkersGauge.Set(1);
        try
        {
            await _op.RunAsync(_context, intake).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (intake.IsCancellationRequested)
        {
            // intake stopped while the source waited: the normal way out
        }
        catch (Exception e)
        {
            Fail(Describe(e));
        }
        finally
        {
            _op.Dispose();
            Volatile.Write(ref _running, 0);
            Stats.WorkersGauge.Set(0);
            _outlet.Complete();
        }
    }

    /// <summary>A failed source fails the run (exit status 5) and stops intake: what it fed would be incomplete.</summary>
    private void Fail(string message)
    {
        _run.Log.Error(Name, $"source failed: {message}");
        _run.Faults.Source(Name, message);
        _run.StopIntake($"source '{Name}' failed");
    }

    private static string Describe(Exception e) => e is ConfigException or IOException or System.Net.Sockets.SocketException or InvalidOperationException ? e.Message : StageRunner.Describe(e);
}

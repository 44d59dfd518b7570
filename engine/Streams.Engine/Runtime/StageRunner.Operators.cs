using Streams.Engine.Operators;

namespace Streams.Engine.Runtime;

/// <summary>
/// The operator instances of a stage: made and configured per worker (one shared instance for a shareable operator),
/// flushed and disposed when the worker stops, and aborted (an <see cref="IAbortableSink"/> closes its output) when
/// the run is aborted. Failures to flush or close a sink are output failures of the run.
/// </summary>
internal sealed partial class StageRunner
{
    private IOperator? AcquireOperator(int workerId)
    {
        var op = CreateOperator(workerId);
        if (op is not null)
        {
            lock (_gate) _live.Add(op);
        }

        return op;
    }

    /// <summary>
    /// Aborts the sinks of this stage without a drain (a second Ctrl+C): each <see cref="IAbortableSink"/> in use
    /// closes its output in a valid state and says what it holds; later writes fail.
    /// </summary>
    public override void AbortSinks()
    {
        IOperator[] live;
        lock (_gate) live = [.. _live.Distinct()];
        foreach (var op in live.OfType<IAbortableSink>())
        {
            try
            {
                Run.Log.Warn(Name, op.Abort());
            }
            catch (Exception e)
            {
                Run.Log.Error(Name, $"abort failed: {Describe(e)}");
                Run.Faults.Output(Name, $"abort failed: {Describe(e)}", 0);
            }
        }
    }

    private IOperator? CreateOperator(int workerId)
    {
        try
        {
            if (Node.Descriptor.Shareable)
            {
                lock (_gate)
                {
                    if (_shared is null)
                    {
                        var shared = Node.Descriptor.Factory();
                        shared.Configure(Node.Config);
                        _shared = shared;
                    }

                    return _shared;
                }
            }

            var op = Node.Descriptor.Factory();
            op.Configure(Node.Config);
            return op;
        }
        catch (Exception e)
        {
            // The plan configured this operator once already, so this is rare (a resource that vanished). The
            // worker stays, failing what it reads, so the queue drains and every event is accounted for.
            var message = $"worker {workerId} could not start operator '{Node.Descriptor.Name}': {e.Message}";
            Run.Log.Error(Name, message);
            Run.Fatal(Name, message);
            return null;
        }
    }

    private void FlushAndDispose(IOperator op)
    {
        try
        {
            if (op is ISink sink) sink.Flush();
        }
        catch (Exception e)
        {
            Run.Log.Error(Name, $"flush failed: {Describe(e)}");
            Run.Faults.Output(Name, $"flush failed: {Describe(e)}", 0);
        }

        try
        {
            op.Dispose();
        }
        catch (Exception e)
        {
            Run.Log.Error(Name, $"close failed: {Describe(e)}");
            if (op is ISink) Run.Faults.Output(Name, $"close failed: {Describe(e)}", 0);
        }
    }
}

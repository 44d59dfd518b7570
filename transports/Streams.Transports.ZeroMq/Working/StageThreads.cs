using System.Collections.Concurrent;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.ZeroMq.Working;

/// <summary>A batch to process, with the connection it came on (answers from an earlier connection are not sent).</summary>
internal readonly record struct Job(byte[] Header, byte[] Meta, byte[] Payload, int Connection);

/// <summary>The threads of one stage, each with its own operator instance, fed from one queue.</summary>
internal sealed class StageThreads
{
    private readonly BlockingCollection<Job> _queue = [];
    private readonly List<Thread> _threads = [];
    private readonly StageDefinition _def;
    private readonly Action<OutgoingResult?, int> _finish;

    /// <summary><paramref name="finish"/> gets each RESULT (null: nothing to answer) and owns it from then on.</summary>
    public StageThreads(StageDefinition def, OperatorDescriptor descriptor, OperatorConfig config, int threads, RunLog log, Action<OutgoingResult?, int> finish)
    {
        _def = def;
        _finish = finish;
        var hosts = new List<OperatorHost>();
        try
        {
            for (var i = 0; i < threads; i++) hosts.Add(new OperatorHost(descriptor, config, def.Stage, i, log));
        }
        catch
        {
            foreach (var h in hosts) h.Dispose();
            throw;
        }

        foreach (var host in hosts)
        {
            var t = new Thread(() => Loop(host)) { IsBackground = true, Name = $"streams-worker-{def.Stage}" };
            _threads.Add(t);
            t.Start();
        }
    }

    public int Threads => _threads.Count;

    public void Enqueue(Job job) => _queue.Add(job);

    public int DropQueued()
    {
        var n = 0;
        while (_queue.TryTake(out _)) n++;
        return n;
    }

    public void Stop()
    {
        DropQueued();
        _queue.CompleteAdding();
    }

    private void Loop(OperatorHost host)
    {
        using (host)
        {
            foreach (var job in _queue.GetConsumingEnumerable()) _finish(Run(host, job), job.Connection);
        }
    }

    private OutgoingResult? Run(OperatorHost host, Job job)
    {
        BatchHeader header;
        try
        {
            header = BatchFrames.ReadHeader(job.Header);
        }
        catch (FrameException)
        {
            // Without a header the batch cannot even be named; nothing to answer (the coordinator never sends one).
            return null;
        }

        try
        {
            var input = BatchFrames.Decode(header, job.Meta, job.Payload);
            var result = host.Process(input);
            using var output = result.Output;
            var failures = result.Failures.Select(f => new WireFailure(f.Index, f.Message, f.Severity)).ToList();
            var encoded = output is null || output.Count == 0 ? null : BatchFrames.Encode(output, header.BatchId);
            return WorkerProtocol.Result(header.BatchId, _def.OutputType, encoded, result.Kept, failures);
        }
        catch (FrameException e)
        {
            return WorkerProtocol.FailedResult(header, $"malformed batch: {e.Message}");
        }
        catch (Exception e)
        {
            // The host already turned operator exceptions into failed events; this is anything around it.
            return WorkerProtocol.FailedResult(header, $"worker error: {e.GetType().Name}: {e.Message}");
        }
    }
}

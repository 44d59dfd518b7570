using System.Collections.Concurrent;
using System.Text;
using NetMQ;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.ZeroMq.Working;

/// <summary>A batch to process, with the connection it came on (answers from an earlier connection are not sent).</summary>
internal readonly record struct Job(byte[] Header, byte[] Meta, byte[] Payload, int Connection);

/// <summary>The threads of one stage, each with its own operator instance, fed from one queue.</summary>
internal sealed class StageRunners
{
    private readonly BlockingCollection<Job> _queue = [];
    private readonly List<Thread> _threads = [];
    private readonly StageDefinition _def;
    private readonly Action<NetMQMessage?, int> _finish;

    public StageRunners(StageDefinition def, OperatorDescriptor descriptor, OperatorConfig config, int threads, RunLog log, Action<NetMQMessage?, int> finish)
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

    private NetMQMessage? Run(OperatorHost host, Job job)
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
            var m = new NetMQMessage();
            m.Append(Protocol.Result);
            if (output is null || output.Count == 0)
            {
                AppendEmpty(m, header.BatchId, _def.OutputType);
            }
            else
            {
                var e = BatchFrames.Encode(output, header.BatchId);
                m.Append(e.Header);
                m.Append(e.Meta);
                m.Append(new NetMQFrame(e.Payload, e.PayloadLength)); // the encoder's buffer itself, not returned: the frame keeps it
            }

            m.Append(Protocol.Indices(output is null || output.Count == 0 ? [] : result.Kept));
            m.Append(failures.Count == 0 ? [] : Protocol.ToJson(failures));
            return m;
        }
        catch (FrameException e)
        {
            return FailedResult(header, $"malformed batch: {e.Message}");
        }
        catch (Exception e)
        {
            // The host already turned operator exceptions into failed events; this is anything around it.
            return FailedResult(header, $"worker error: {e.GetType().Name}: {e.Message}");
        }
    }

    public static NetMQMessage FailedResult(BatchHeader header, string message)
    {
        var m = new NetMQMessage();
        m.Append(Protocol.Result);
        AppendEmpty(m, header.BatchId, header.DataType);
        m.Append(Array.Empty<byte>());
        var failures = Enumerable.Range(0, header.Count).Select(i => new WireFailure(i, message, Severity.Error)).ToList();
        m.Append(Protocol.ToJson(failures));
        return m;
    }

    private static void AppendEmpty(NetMQMessage m, ulong batchId, string type)
    {
        var t = Encoding.UTF8.GetBytes(type);
        var h = new byte[BatchFrames.HeaderSize + t.Length];
        BatchFrames.WriteHeader(h, PayloadKind.Bytes, batchId, 0, t);
        m.Append(h);
        m.Append(Array.Empty<byte>());
        m.Append(Array.Empty<byte>());
    }
}

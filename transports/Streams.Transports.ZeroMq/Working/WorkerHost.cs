using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using NetMQ;
using NetMQ.Sockets;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Framing;
using Streams.Transports.ZeroMq.Security;

namespace Streams.Transports.ZeroMq.Working;

/// <summary>How a worker process joins a coordinator.</summary>
public sealed record WorkerOptions
{
    /// <summary>The coordinator, <c>tcp://HOST:PORT</c>.</summary>
    public required string Join { get; init; }

    /// <summary>Name shown in the coordinator's log, metrics and summary.</summary>
    public string Name { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Batches held per thread (one being processed, the rest queued so no thread waits for the network).</summary>
    public int CreditPerThread { get; init; } = 2;

    /// <summary>Overrides the threads per stage that the pipeline asks for (null: as the pipeline says).</summary>
    public int? Threads { get; init; }

    /// <summary>How long to keep trying to reach a silent coordinator before exiting.</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>CurveZMQ: the coordinator's public key (null: plain TCP).</summary>
    public byte[]? ServerKey { get; init; }

    /// <summary>CurveZMQ: this worker's certificate (null: a fresh one per run, enough when the coordinator admits any key).</summary>
    public NetMQCertificate? Certificate { get; init; }

    /// <summary>Where this worker serves its metrics (HOST:PORT), told to the coordinator for Prometheus service discovery; null: nowhere.</summary>
    public string? MetricsAddress { get; init; }

    /// <summary>The registry for this worker's <c>streams_worker_process_*</c> metrics (null: a private one nobody serves).</summary>
    public Prometheus.CollectorRegistry? Registry { get; init; }
}

/// <summary>How a worker process ended.</summary>
public enum WorkerExit
{
    /// <summary>The run ended or the worker left after draining.</summary>
    Done = 0,

    /// <summary>The coordinator refused it (key, protocol) or it cannot run the stages (unknown operator, bad config).</summary>
    Refused = 2,

    /// <summary>No coordinator answered for <see cref="WorkerOptions.GiveUpAfter"/>.</summary>
    CoordinatorLost = 3,
}

/// <summary>
/// A worker process (<c>streams worker --join tcp://HOST:PORT</c>): joins the coordinator, builds the stages it is
/// sent (one operator instance per thread), takes batches against the credit it grants, returns the results, and keeps
/// heartbeats going. If the coordinator falls silent it reconnects (a restarted coordinator admits it again) and exits
/// with a clear message when nobody answers for <see cref="WorkerOptions.GiveUpAfter"/>. Asked to leave, it finishes
/// what it holds first.
/// </summary>
public sealed class WorkerHost : IDisposable
{
    private readonly WorkerOptions _options;
    private readonly OperatorCatalog _catalog;
    private readonly RunLog _log;
    private readonly NetMQQueue<Action> _actions = new();
    private readonly NetMQTimer _tick = new(TimeSpan.FromMilliseconds(500));
    private readonly NetMQPoller _poller;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TaskCompletionSource<WorkerExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, StageRunners> _stages = new(StringComparer.Ordinal);
    private readonly WorkerMetrics _metrics;
    private DealerSocket? _socket;
    private Welcome? _welcome;
    private double _lastHeard;
    private double _lastHello = double.NegativeInfinity;
    private double _heartbeat = 1;
    private double _deadAfter = 5;
    private int _held;
    private bool _leaving;
    private bool _leaveSent;
    private bool _drained;
    private bool _closed;

    public WorkerHost(WorkerOptions options, OperatorCatalog catalog, RunLog log)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _log = log;
        _metrics = new WorkerMetrics(Prometheus.Metrics.WithCustomRegistry(options.Registry ?? Prometheus.Metrics.NewCustomRegistry()));
        _tick.Elapsed += (_, _) => OnTick();
        _actions.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var a, TimeSpan.Zero)) a();
        };
        _poller = [_actions, _tick];
        ZmqSend.UsePooledBuffers();
    }

    /// <summary>Batches processed so far.</summary>
    public long BatchesDone => Interlocked.Read(ref _done);

    private long _done;

    private double Now => _clock.Elapsed.TotalSeconds;

    /// <summary>Runs until the run ends, the worker leaves (cancel <paramref name="leave"/>), or it gives up.</summary>
    public async Task<WorkerExit> RunAsync(CancellationToken leave)
    {
        _actions.Enqueue(Connect);
        using var onLeave = leave.Register(() => _actions.Enqueue(() => BeginLeaving("asked to leave")));
        var thread = new Thread(() => _poller.Run()) { IsBackground = true, Name = "streams-worker" };
        thread.Start();
        var code = await _exit.Task.ConfigureAwait(false);
        Volatile.Write(ref _closed, true);
        _poller.Stop();
        thread.Join(TimeSpan.FromSeconds(5));
        foreach (var s in _stages.Values) s.Stop();
        _stages.Clear();
        return code;
    }

    private void Connect()
    {
        if (_socket is not null)
        {
            _poller.Remove(_socket);
            _socket.Dispose();
        }

        var socket = new DealerSocket();
        socket.Options.Linger = TimeSpan.FromMilliseconds(500);
        socket.Options.Identity = Guid.NewGuid().ToByteArray();
        if (_options.ServerKey is { } serverKey)
        {
            socket.Options.CurveServerKey = serverKey;
            socket.Options.CurveCertificate = _options.Certificate ?? new NetMQCertificate();
        }

        socket.ReceiveReady += (_, _) => OnReceive();
        socket.Connect(_options.Join);
        _socket = socket;
        _poller.Add(socket);
        _welcome = null;
        _metrics.Connected.Set(0);
        _leaveSent = false;
        _drained = false;
        _lastHeard = Now;
        SendHello();
    }

    private void SendHello()
    {
        var version = typeof(WorkerHost).Assembly.GetName().Version?.ToString(3) ?? "0";
        var hello = new WorkerHello(_options.Name, Environment.MachineName, Environment.ProcessId, Protocol.Version, $"streams {version}") { Metrics = _options.MetricsAddress };
        var proof = _options.ServerKey is { } key && _options.Certificate is { } cert ? JoinProof.Create(cert, key) : [];
        _socket!.SendMoreFrame(Protocol.Hello).SendMoreFrame(Protocol.ToJson(hello)).SendFrame(proof);
        _lastHello = Now;
    }

    private void OnReceive()
    {
        var msg = new NetMQMessage();
        while (_socket!.TryReceiveMultipartMessage(TimeSpan.Zero, ref msg))
        {
            _lastHeard = Now;
            try
            {
                Handle(msg);
            }
            catch (Exception e)
            {
                // Whatever arrives, the socket thread must survive it.
                _log.Warn("worker", $"malformed message from the coordinator dropped: {e.GetType().Name}: {e.Message}");
            }

            msg = new NetMQMessage();
        }
    }

    private void Handle(NetMQMessage msg)
    {
        var command = msg[0].ConvertToString();
        switch (command)
        {
            case Protocol.Welcome:
                if (_welcome is null) OnWelcome(WireMessages.ReadWelcome(msg[1].Buffer)); // a second one would grant credit twice
                break;
            case Protocol.Work:
                OnWork(msg);
                break;
            case Protocol.Heartbeat:
                break;
            case Protocol.Drain:
                if (!_leaving) BeginLeaving("the coordinator asked this worker to leave");
                _drained = true; // every WORK meant for us was sent before this
                if (_held == 0) Depart();
                break;
            case Protocol.End:
                _log.Info("worker", $"the coordinator ended the run ({(msg.FrameCount > 1 ? msg[1].ConvertToString() : "")}); {BatchesDone} batches done; exiting");
                _exit.TrySetResult(WorkerExit.Done);
                break;
            case Protocol.Reject:
                var reason = msg.FrameCount > 1 ? msg[1].ConvertToString() : "no reason given";
                if (_welcome is not null && reason.StartsWith("unknown worker", StringComparison.Ordinal))
                {
                    _log.Warn("worker", $"the coordinator no longer knows this worker ({reason}); joining again");
                    Connect();
                }
                else
                {
                    _log.Error("worker", $"the coordinator at {_options.Join} refused this worker: {reason}");
                    _exit.TrySetResult(WorkerExit.Refused);
                }

                break;
            default:
                throw new FormatException($"unknown command '{command}'");
        }
    }

    private void OnWelcome(Welcome welcome)
    {
        _heartbeat = Math.Max(0.05, welcome.HeartbeatMs / 1000.0);
        _deadAfter = Math.Max(_heartbeat * 2, welcome.DeadAfterMs / 1000.0);
        _tick.Interval = (int)(_heartbeat * 1000);
        var threads = 0;
        foreach (var def in welcome.Stages)
        {
            if (!_stages.TryGetValue(def.Stage, out var runners))
            {
                try
                {
                    runners = StartStage(def);
                }
                catch (Exception e)
                {
                    _log.Error("worker", $"cannot run stage '{def.Stage}': {e.Message}");
                    _socket!.SendFrame(Protocol.Bye);
                    _exit.TrySetResult(WorkerExit.Refused);
                    return;
                }

                _stages[def.Stage] = runners;
            }

            threads += runners.Threads;
        }

        _welcome = welcome;
        _metrics.Connected.Set(1);
        _metrics.Threads.Set(threads);
        _log.Info("worker", $"joined pipeline '{welcome.Pipeline}' at {_options.Join} as {welcome.WorkerId}: {string.Join(", ", welcome.Stages.Select(s => $"{s.Stage} ({s.Operator}) x{_stages[s.Stage].Threads}"))}");
        _socket!.SendMoreFrame(Protocol.Credit).SendMoreFrame(Protocol.U32((uint)(threads * _options.CreditPerThread))).SendFrame(Protocol.U32((uint)threads));
        if (_leaving) BeginLeaving("asked to leave");
    }

    private StageRunners StartStage(StageDefinition def)
    {
        if (!_catalog.TryGet(def.Operator, out var descriptor)) throw new InvalidOperationException($"operator '{def.Operator}' is not known to this worker (a different Streams version?)");
        var config = def.ToConfig(descriptor);
        var problems = config.Check();
        if (problems.Count > 0) throw new ConfigException(string.Join("; ", problems.Select(p => p.Message)));
        var threads = Math.Max(1, _options.Threads ?? def.Threads);
        return new StageRunners(def, descriptor, config, threads, _log, Finish);
    }

    private void OnWork(NetMQMessage msg)
    {
        if (msg.FrameCount != 5) throw new FormatException($"WORK of {msg.FrameCount} frames; 5 expected");
        var stage = msg[1].ConvertToString(Encoding.UTF8);
        var header = BatchFrames.ReadHeader(msg[2].Buffer); // a batch that cannot be named is dropped (and resent elsewhere)
        _held++;
        _metrics.Held.Set(_held);
        _metrics.Events.Inc(header.Count);
        if (!_stages.TryGetValue(stage, out var runners))
        {
            // Not ours (the pipeline changed under us): answer with every event failed, so nothing is lost.
            Finish(StageRunners.FailedResult(header, $"stage '{stage}' is not running on this worker"));
            return;
        }

        runners.Enqueue(new Job(msg[2].Buffer, msg[3].Buffer, msg[4].Buffer));
    }

    /// <summary>Called from processing threads with a finished RESULT message.</summary>
    private void Finish(NetMQMessage? result)
    {
        if (Volatile.Read(ref _closed)) return; // the worker is exiting: the coordinator resends what it does not get
        try
        {
            _actions.Enqueue(() => Send(result));
        }
        catch (ObjectDisposedException)
        {
            // closed between the check and the enqueue
        }
    }

    private void Send(NetMQMessage? result)
    {
        if (result is not null) _socket?.SendMultipartMessage(result);
        _held--;
        _metrics.Held.Set(_held);
        _metrics.Batches.Inc();
        Interlocked.Increment(ref _done);
        if (_drained && _held == 0) Depart();
    }

    private void BeginLeaving(string why)
    {
        if (_welcome is null && !_leaving)
        {
            _leaving = true;
            _log.Info("worker", $"{why} before joining; exiting");
            _exit.TrySetResult(WorkerExit.Done);
            return;
        }

        _leaving = true;
        if (_welcome is null || _leaveSent) return;
        _leaveSent = true;
        _log.Info("worker", $"{why}: finishing {_held} batch(es) in hand, then leaving");
        _socket!.SendFrame(Protocol.Leave);
    }

    private void Depart()
    {
        if (_exit.Task.IsCompleted) return;
        _socket!.SendFrame(Protocol.Bye);
        _log.Info("worker", $"drained and left after {BatchesDone} batches");
        _exit.TrySetResult(WorkerExit.Done);
    }

    private void OnTick()
    {
        var now = Now;
        if (_welcome is null)
        {
            if (now - _lastHeard > _options.GiveUpAfter.TotalSeconds)
            {
                _log.Error("worker", $"no answer from the coordinator at {_options.Join} for {_options.GiveUpAfter.TotalSeconds:0} s (is it running? is --curve-server-key right?); exiting");
                _exit.TrySetResult(WorkerExit.CoordinatorLost);
                return;
            }

            if (now - _lastHello >= Math.Max(1, _heartbeat)) SendHello();
            return;
        }

        _socket!.SendFrame(Protocol.Heartbeat);
        if (now - _lastHeard > _deadAfter)
        {
            _log.Warn("worker", $"the coordinator at {_options.Join} has been silent for {now - _lastHeard:0.0} s; reconnecting (giving up after {_options.GiveUpAfter.TotalSeconds:0} s)");
            var heard = _lastHeard;
            foreach (var s in _stages.Values) _held -= s.DropQueued();
            Connect();
            _lastHeard = heard; // the give-up clock runs from the last word heard
        }
    }

    public void Dispose()
    {
        foreach (var s in _stages.Values) s.Stop();
        _poller.Dispose();
        _socket?.Dispose();
        _actions.Dispose();
        _tick.Enable = false;
    }

    private readonly record struct Job(byte[] Header, byte[] Meta, byte[] Payload);

    /// <summary>The threads of one stage, each with its own operator instance, fed from one queue.</summary>
    private sealed class StageRunners
    {
        private readonly BlockingCollection<Job> _queue = [];
        private readonly List<Thread> _threads = [];
        private readonly StageDefinition _def;
        private readonly Action<NetMQMessage?> _finish;

        public StageRunners(StageDefinition def, OperatorDescriptor descriptor, OperatorConfig config, int threads, RunLog log, Action<NetMQMessage?> finish)
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
                foreach (var job in _queue.GetConsumingEnumerable()) _finish(Run(host, job));
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
}

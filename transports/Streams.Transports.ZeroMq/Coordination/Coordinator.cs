using NetMQ;
using NetMQ.Monitoring;
using NetMQ.Sockets;
using Prometheus;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.Transports.ZeroMq.Framing;
using Streams.Transports.ZeroMq.Security;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// The coordinator side of a distributed run: a ROUTER socket that workers (<c>streams worker --join</c>) connect to.
/// It admits workers (optionally only those holding listed CURVE keys), sends them the definitions of the stages
/// placed on workers, hands them batches against their credit, takes the results back, exchanges heartbeats, declares
/// silent workers dead and sends their batches to others (at least once; a batch answered twice counts once). One
/// thread owns the socket; stage slots talk to it through a queue. Implements the engine's <see cref="IRemoteStages"/>.
/// Liveness (heartbeats, dropped connections, waiting for workers) is in <c>Coordinator.Liveness.cs</c>.
/// </summary>
public sealed partial class Coordinator : IRemoteStages, IDisposable
{
    private readonly CoordinatorOptions _options;
    private readonly RunLog _log;
    private readonly DispatchBook _book = new();
    private readonly Dictionary<string, RemoteStage> _stages = new(StringComparer.Ordinal);
    private readonly Welcome _welcomeTemplate;
    private readonly RouterSocket _router;
    private readonly NetMQQueue<Action> _actions = new();
    private readonly NetMQPoller _poller;
    private readonly NetMQTimer _tick;
    private readonly NetMQTimer _probe;
    private readonly NetMQMonitor _monitor;
    private readonly CoordinatorMetrics _metrics;
    private readonly PeerLog _peers;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly HashSet<string> _allowed;
    private readonly Dictionary<string, WorkerReport> _seen = new(StringComparer.Ordinal); // every worker seen, by key, for the summary
    private Thread? _thread;
    private long _nextBatchId = Random.Shared.NextInt64(1L << 40) << 16; // ids differ between coordinator runs
    private long _rejected;
    private int _workersAlive;

    public Coordinator(PipelinePlan plan, CoordinatorOptions options, RunLog log, Streams.Engine.Metrics.MetricsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _log = log;
        _time = options.Time ?? TimeProvider.System;
        _started = _time.GetTimestamp();
        _peers = new PeerLog(log, "coordinator", "messages from workers", _time);
        _metrics = new CoordinatorMetrics(registry.Factory);
        _allowed = (options.AllowedWorkers ?? []).Select(Convert.ToHexString).ToHashSet(StringComparer.Ordinal);
        var defs = new List<StageDefinition>();
        foreach (var node in plan.Nodes.Where(n => n.Spec.Placement == Placement.Workers))
        {
            var def = StageDefinition.From(node);
            defs.Add(def);
            _stages[node.Name] = new RemoteStage(this, def);
        }

        if (defs.Count == 0) throw new ArgumentException($"pipeline '{plan.Name}' places no stage on workers (add 'placement: workers' to a stage)", nameof(plan));
        _welcomeTemplate = new Welcome("", plan.Name, defs, (int)options.Heartbeat.TotalMilliseconds, (int)options.DeadAfter.TotalMilliseconds);

        ZmqSend.UsePooledBuffers();
        _router = new RouterSocket();
        _router.Options.Linger = TimeSpan.Zero;
        if (options.Curve is { } cert)
        {
            _router.Options.CurveServer = true;
            _router.Options.CurveCertificate = cert;
        }

        try
        {
            Endpoint = BindRouter(_router, options.Listen);
        }
        catch
        {
            _router.Dispose();
            throw;
        }

        _tick = new NetMQTimer(options.Heartbeat);
        _tick.Elapsed += (_, _) => OnTick();
        _probe = new NetMQTimer(ProbeInterval) { Enable = false };
        _probe.Elapsed += (_, _) => OnProbe();
        _router.ReceiveReady += (_, _) => OnReceive();
        _actions.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var a, TimeSpan.Zero)) a();
        };
        _poller = [_router, _actions, _tick, _probe];
        // A worker whose connection drops (killed, its node rebooted) is looked for at once, not after --dead-after.
        _monitor = new NetMQMonitor(_router, $"inproc://streams-coordinator-monitor-{Guid.NewGuid():N}", SocketEvents.Disconnected);
        _monitor.Disconnected += (_, _) => OnDisconnect();
        _monitor.AttachToPoller(_poller);
    }

    /// <summary>The endpoint bound (with the port filled in when 0 was asked for).</summary>
    public string Endpoint { get; }

    public int Slots => _options.Slots;

    /// <summary>The Prometheus service-discovery file this coordinator keeps, if any.</summary>
    public ScrapeTargets? ScrapeTargets => _options.ScrapeTargets;

    /// <summary>Workers connected now.</summary>
    public int WorkersAlive => Volatile.Read(ref _workersAlive);

    public IAsyncProcessor Bind(PlannedNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return _stages.TryGetValue(node.Name, out var s) ? s : throw new ArgumentException($"stage '{node.Name}' is not placed on workers", nameof(node));
    }

    /// <summary>Starts the socket thread.</summary>
    public void Start()
    {
        _thread = new Thread(() => _poller.Run()) { IsBackground = true, Name = "streams-coordinator" };
        _thread.Start();
        var secure = _options.Curve is null ? "plain TCP" : _allowed.Count > 0 ? $"CURVE, {_allowed.Count} worker key(s) allowed" : "CURVE, any worker with the coordinator's key";
        _log.Info("coordinator", $"listening for workers on {Endpoint} ({secure}); stages on workers: {string.Join(", ", _stages.Keys)}");
    }

    /// <summary>
    /// Asks the worker named <paramref name="name"/> to leave: it gets DRAIN, returns what it holds and says BYE (how a
    /// node provider drains a node whose platform kills rather than signals, like a JRM pod's deletion). False when no
    /// worker of that name is connected or it is leaving already.
    /// </summary>
    public bool AskToLeave(string name)
    {
        var asked = AskToLeaveAsync(name);
        return asked.Wait(TimeSpan.FromSeconds(5)) && asked.Result;
    }

    /// <summary>As <see cref="AskToLeave"/>, without blocking: completes once the socket thread has sent DRAIN (or found no such worker).</summary>
    public Task<bool> AskToLeaveAsync(string name, CancellationToken cancel = default)
    {
        if (_thread is null) return Task.FromResult(false);
        var asked = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _actions.Enqueue(() =>
        {
            var worker = _book.Workers.FirstOrDefault(w => w.Name == name && !w.Leaving);
            if (worker is not null)
            {
                worker.Leaving = true;
                Send(worker.Key, Protocol.Drain);
                _log.Info("coordinator", $"asked worker {worker.Name} to leave; draining {worker.InFlight.Count} batch(es)");
            }

            asked.TrySetResult(worker is not null);
        });
        return asked.Task.WaitAsync(cancel);
    }

    /// <summary>Tells every worker the run is over, then closes the socket (a short grace for the messages to leave).</summary>
    public void Stop(string reason)
    {
        if (_thread is null) return;
        var done = new ManualResetEventSlim();
        _actions.Enqueue(() =>
        {
            _ended = true; // workers now go: their connections dropping is no death
            foreach (var w in _book.Workers)
            {
                Send(w.Key, Protocol.End, reason);
                Report(w, "finished");
            }

            foreach (var item in _book.AbandonAll()) item.Completion.TrySetException(new InvalidOperationException($"coordinator stopped: {reason}"));
            _peers.Flush();
            done.Set();
        });
        done.Wait(TimeSpan.FromSeconds(5));
        Thread.Sleep(200); // let END reach the workers before the socket closes
        _poller.Stop();
        _thread.Join(TimeSpan.FromSeconds(5));
        _thread = null;
    }

    /// <summary>The summary's <c>"workers"</c> section (taken on the socket thread).</summary>
    public WorkersSummary Summary()
    {
        var tcs = new TaskCompletionSource<WorkersSummary>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_thread is null) return Snapshot();
        _actions.Enqueue(() => tcs.SetResult(Snapshot()));
        return tcs.Task.Wait(TimeSpan.FromSeconds(5)) ? tcs.Task.Result : Snapshot();
    }

    internal void Submit(WorkItem item) => _actions.Enqueue(() =>
    {
        if (_gaveUpWaiting && _book.Workers.Count == 0)
        {
            // The wait for a worker ran out once already: no second wait until one joins.
            item.Completion.TrySetException(new TimeoutException($"no worker connected (none came within {WaitLimit:0.#} s)"));
            return;
        }

        _book.Submit(item);
        Pump();
    });

    internal ulong NextBatchId() => (ulong)Interlocked.Increment(ref _nextBatchId);

    private WorkersSummary Snapshot() => new(
        _book.Joined, _book.Left, _book.Died, _book.BatchesResent, _book.DuplicateEvents, _book.DuplicateBatches, Interlocked.Read(ref _rejected),
        _peers.Malformed, _peers.MalformedByReason, [.. _seen.Values.OrderBy(w => w.Name, StringComparer.Ordinal)]);

    private double Now => _time.GetElapsedTime(_started).TotalSeconds;

    private const int MessagesPerTurn = 1024;

    private void OnReceive()
    {
        var msg = new NetMQMessage();
        // At most a slice of messages per turn: a flood must not starve the timers (heartbeats, deadlines) and the queue.
        for (var n = 0; n < MessagesPerTurn && _router.TryReceiveMultipartMessage(TimeSpan.Zero, ref msg); n++)
        {
            try
            {
                Handle(msg);
            }
            catch (Exception e)
            {
                // Whatever a peer sends, the socket thread must survive it; the reason names the command, never the peer's text.
                var command = msg.FrameCount > 1 ? CommandOf(msg[1]) : "message";
                Malformed($"{command ?? "unknown command"} ({e.GetType().Name})", $"malformed {command ?? "message"} from {Who(msg)} dropped: {PeerLog.Clip(e.Message, 200)}");
            }

            msg = new NetMQMessage();
        }
    }

    /// <summary>The command a frame names, or null when it is not one of the protocol's.</summary>
    private static string? CommandOf(NetMQFrame frame) =>
        frame.BufferSize is > 0 and <= 8 && Protocol.Commands.Contains(frame.ConvertToString()) ? frame.ConvertToString() : null;

    private string Who(NetMQMessage msg) => msg.FrameCount > 0 && _book.Find(Convert.ToHexString(msg[0].Buffer)) is { } w ? $"worker {w.Name}" : "an unknown peer";

    private void Handle(NetMQMessage msg)
    {
        if (msg.FrameCount < 2) throw new FormatException($"message of {msg.FrameCount} frames");
        static void Need(NetMQMessage m, int frames, string what)
        {
            if (m.FrameCount < frames) throw new FormatException($"{what} of {m.FrameCount - 1} frames");
        }

        var key = Convert.ToHexString(msg[0].Buffer);
        var command = CommandOf(msg[1]) ?? throw new FormatException($"unknown command '{PeerLog.Clip(msg[1].Buffer)}'");
        var worker = _book.Find(key);
        if (worker is not null) worker.LastSeen = Now;
        switch (command)
        {
            case Protocol.Hello:
                Need(msg, 3, "HELLO");
                if (worker is not null) return; // welcomed already (a repeated HELLO while the WELCOME travelled)
                OnHello(key, msg);
                return;
            case Protocol.Result:
                OnResult(key, worker, msg);
                return;
        }

        if (worker is null)
        {
            // Declared dead, or a coordinator restart: it must say HELLO again before it gets work.
            Send(key, Protocol.Reject, "unknown worker (declared dead, or the coordinator restarted): join again");
            return;
        }

        switch (command)
        {
            case Protocol.Credit:
                Need(msg, 3, "CREDIT");
                worker.Credit += (int)Math.Min(Protocol.ReadU32(msg[2].Buffer), 4096);
                if (msg.FrameCount > 3) worker.Threads = (int)Math.Min(Protocol.ReadU32(msg[3].Buffer), 4096);
                Pump();
                break;
            case Protocol.Heartbeat:
                break;
            case Protocol.Leave:
                worker.Leaving = true;
                Send(worker.Key, Protocol.Drain); // after this, no WORK follows on this connection: the worker may go once it has answered
                _log.Info("coordinator", $"worker {worker.Name} is leaving; draining {worker.InFlight.Count} batch(es)");
                break;
            case Protocol.Bye:
                var requeued = _book.Remove(worker, died: false);
                Report(worker, "left");
                _log.Info("coordinator", $"worker {worker.Name} left after {worker.BatchesAcked} batches{(requeued > 0 ? $"; {requeued} unanswered batch(es) sent to others" : "")}");
                AfterRemoval();
                break;
            default:
                throw new FormatException($"{command} is not sent by workers");
        }
    }

    private void OnHello(string key, NetMQMessage msg)
    {
        var hello = WireMessages.ReadHello(msg[2].Buffer);
        // What the peer says about itself goes into logs, metric labels, the summary and the scrape file: bounded.
        var name = string.IsNullOrWhiteSpace(hello.Name) ? $"worker-{key[..Math.Min(6, key.Length)].ToLowerInvariant()}" : PeerLog.Clip(hello.Name);
        if (hello.Protocol != Protocol.Version)
        {
            Reject(key, name, "protocol", $"protocol '{PeerLog.Clip(hello.Protocol)}' not spoken here (coordinator speaks '{Protocol.Version}')");
            return;
        }

        if (_allowed.Count > 0)
        {
            var proof = msg.FrameCount > 3 ? msg[3].Buffer : [];
            var workerKey = _options.Curve is null || proof.Length == 0 ? null : JoinProof.Verify(proof, _options.Curve);
            if (workerKey is null || !_allowed.Contains(Convert.ToHexString(workerKey)))
            {
                Reject(key, name, "key", workerKey is null ? "no valid proof of a worker key (start the worker with --curve-secret)" : "worker key not in the allowed list");
                return;
            }
        }

        name = UniqueName(name, key);
        var w = _book.Join(key, name, Now);
        _gaveUpWaiting = false;
        Report(w, "running");
        _options.ScrapeTargets?.SetWorker(name, hello.Metrics is { Length: <= 255 } m ? m : null);
        Send(key, Protocol.Welcome, _welcomeTemplate with { WorkerId = name });
        _log.Info("coordinator", $"worker {name} joined ({PeerLog.Clip(hello.Host)}, pid {hello.Pid}, {PeerLog.Clip(hello.Version)})");
    }

    private string UniqueName(string name, string key)
    {
        if (_book.Workers.All(w => w.Name != name || w.Key == key)) return name;
        return $"{name}-{key[..Math.Min(6, key.Length)].ToLowerInvariant()}";
    }

    private void Reject(string key, string name, string why, string reason)
    {
        Interlocked.Increment(ref _rejected);
        _metrics.Rejected.Inc();
        _peers.Report($"refused ({why})", $"worker {name} refused: {reason}", RunLogLevel.Warning);
        Send(key, Protocol.Reject, reason);
    }

    private void Pump()
    {
        foreach (var (w, item) in _book.Assign())
        {
            var f = item.Frames;
            _router.SendMoreFrame(Convert.FromHexString(w.Key)).SendMoreFrame(Protocol.Work)
                .SendMoreFrame(f[0]).SendMoreFrame(f[1]).SendMoreFrame(f[2]).SendFrame(f[3], item.PayloadLength);
            _metrics.Sent(w.Name).Inc();
            if (item.Resends > 0) _metrics.Resent.Inc();
        }

        Publish();
    }

    private void Send(string key, string command, string? text = null)
    {
        var m = _router.SendMoreFrame(Convert.FromHexString(key));
        if (text is null) m.SendFrame(command);
        else m.SendMoreFrame(command).SendFrame(text);
    }

    private void Send<T>(string key, string command, T json) =>
        _router.SendMoreFrame(Convert.FromHexString(key)).SendMoreFrame(command).SendFrame(Protocol.ToJson(json));

    public void Dispose()
    {
        if (_thread is not null) Stop("coordinator disposed");
        _monitor.DetachFromPoller();
        _monitor.Dispose();
        _poller.Dispose();
        _router.Dispose();
        _actions.Dispose();
    }
}

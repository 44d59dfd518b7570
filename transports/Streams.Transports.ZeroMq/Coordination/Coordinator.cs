using NetMQ;
using NetMQ.Monitoring;
using NetMQ.Sockets;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// The coordinator side of a distributed run: a ROUTER socket that worker processes (<c>streams worker --join</c>)
/// connect to. It admits them (optionally only those holding listed CURVE keys), sends them the definitions of the
/// stages placed on workers, hands them each stage's batches against their credit for that stage, takes the results
/// back, exchanges heartbeats, declares silent worker processes dead and sends their batches to others (at least once;
/// a batch answered twice counts once). One thread owns the socket; stage slots talk to it through a queue. Each stage
/// on workers has its own <see cref="DispatchBook"/> and published <see cref="RemoteStageState"/>. Implements the
/// engine's <see cref="IRemoteStages"/>. This file is the socket loop and the public face; the protocol handling is in
/// <c>Coordinator.Handling.cs</c>, liveness in <c>Coordinator.Liveness.cs</c>, answers in <c>Coordinator.Results.cs</c>,
/// metrics and the summary in <c>Coordinator.Summary.cs</c>.
/// </summary>
public sealed partial class Coordinator : IRemoteStages, IDisposable
{
    /// <summary>How long the router keeps trying to deliver END after <see cref="Stop"/>.</summary>
    private static readonly TimeSpan StopLinger = TimeSpan.FromSeconds(1);

    private readonly CoordinatorOptions _options;
    private readonly RunLog _log;
    private readonly WorkerRoster _roster = new();
    private readonly Dictionary<string, RemoteStage> _stages = new(StringComparer.Ordinal);
    private readonly RemoteStage[] _stageList;
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
    private Thread? _thread;
    private long _nextBatchId = Random.Shared.NextInt64(1L << 40) << 16; // ids differ between coordinator runs

    public Coordinator(PipelinePlan plan, CoordinatorOptions options, RunLog log, Streams.Engine.Metrics.MetricsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
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
        _stageList = [.. _stages.Values];
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

    /// <summary>Worker processes connected now.</summary>
    public int WorkersAlive => Volatile.Read(ref _workersAlive);

    public IAsyncProcessor Bind(PlannedNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return _stages.TryGetValue(node.Name, out var s) ? s : throw new ArgumentException($"stage '{node.Name}' is not placed on workers", nameof(node));
    }

    /// <summary>What serves <paramref name="stage"/> now: its threads, the worker processes serving it, its batches waiting.</summary>
    public RemoteStageState StateOf(string stage) => _stages.TryGetValue(stage, out var s) ? s.State : default;

    /// <summary>Starts the socket thread.</summary>
    public void Start()
    {
        _thread = new Thread(() => _poller.Run()) { IsBackground = true, Name = "streams-coordinator" };
        _thread.Start();
        var secure = _options.Curve is null ? "plain TCP" : _allowed.Count > 0 ? $"CURVE, {_allowed.Count} worker key(s) allowed" : "CURVE, any worker with the coordinator's key";
        _log.Info("coordinator", $"listening for workers on {Endpoint} ({secure}); stages on workers: {string.Join(", ", _stages.Keys)}");
    }

    /// <summary>
    /// Asks the worker process named <paramref name="name"/> to leave: it gets DRAIN, returns what it holds and says BYE
    /// (how a node provider drains a node whose platform kills rather than signals, like a JRM pod's deletion).
    /// Completes once the socket thread has sent DRAIN: true, or false when no worker process of that name is
    /// connected or it is leaving already.
    /// </summary>
    public Task<bool> AskToLeaveAsync(string name, CancellationToken cancel = default)
    {
        if (_thread is null) return Task.FromResult(false);
        var asked = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _actions.Enqueue(() =>
        {
            var worker = _roster.Present.FirstOrDefault(w => w.Name == name && w.Phase == WorkerPhase.Joined);
            if (worker is not null)
            {
                BeginDrain(worker);
                _log.Info("coordinator", $"asked worker {worker.Name} to leave; draining {HeldBy(worker)} batch(es)");
            }

            asked.TrySetResult(worker is not null);
        });
        return asked.Task.WaitAsync(cancel);
    }

    /// <summary>
    /// Tells every worker process the run is over and closes the socket: END goes out within a linger of
    /// <see cref="StopLinger"/> (no sleep); the calling thread waits at most 5 s for the socket thread to send it.
    /// </summary>
    public void Stop(string reason)
    {
        if (_thread is null) return;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _actions.Enqueue(() =>
        {
            _ended = true; // workers now go: their connections dropping is no death
            foreach (var w in _roster.Present.ToList())
            {
                Send(w.Key, Protocol.End, reason);
                _roster.Move(w, WorkerPhase.Finished);
                Report(w);
            }

            foreach (var stage in _stageList)
            {
                foreach (var item in stage.Book.AbandonAll()) item.Completion.TrySetException(new InvalidOperationException($"coordinator stopped: {reason}"));
            }

            _peers.Flush();
            Publish();
            PublishSummary();
            _router.Options.Linger = StopLinger; // END is delivered while the closed socket lingers
            done.TrySetResult();
        });
        done.Task.Wait(TimeSpan.FromSeconds(5));
        _poller.Stop();
        _thread.Join(TimeSpan.FromSeconds(5));
        _thread = null;
    }

    internal void Submit(WorkItem item) => _actions.Enqueue(() =>
    {
        if (_gaveUpWaiting && _roster.Count == 0)
        {
            // The wait for a worker ran out once already: no second wait until one joins.
            item.Completion.TrySetException(new TimeoutException($"no worker connected (none came within {WaitLimit:0.#} s)"));
            return;
        }

        _stages[item.Stage].Book.Submit(item);
        Pump();
    });

    internal ulong NextBatchId() => (ulong)Interlocked.Increment(ref _nextBatchId);

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
                var command = msg.FrameCount > 1 ? WorkerProtocol.CommandOf(msg[1]) : "message";
                Malformed($"{command ?? "unknown command"} ({e.GetType().Name})", $"malformed {command ?? "message"} from {Who(msg)} dropped: {PeerLog.Clip(e.Message, 200)}");
            }

            msg = new NetMQMessage();
        }
    }

    private string Who(NetMQMessage msg) => msg.FrameCount > 0 && _roster.Find(Convert.ToHexString(msg[0].Buffer)) is { } w ? $"worker {w.Name}" : "an unknown peer";

    /// <summary>REJECT, END (with a text), DRAIN (without) to the worker process whose identity is <paramref name="key"/>.</summary>
    private void Send(string key, string command, string? text = null) => WorkerProtocol.SendToWorker(_router, Convert.FromHexString(key), command, text);

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

using System.Diagnostics;
using System.Runtime.CompilerServices;
using NetMQ;
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
/// </summary>
public sealed class Coordinator : IRemoteStages, IDisposable
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
    private readonly CoordinatorMetrics _metrics;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly HashSet<string> _allowed;
    private readonly Dictionary<string, WorkerReport> _seen = new(StringComparer.Ordinal); // every worker seen, by key, for the summary
    private Thread? _thread;
    private double _idleSince = -1;
    private long _nextBatchId = Random.Shared.NextInt64(1L << 40) << 16; // ids differ between coordinator runs
    private long _rejected;
    private int _workersAlive;

    public Coordinator(PipelinePlan plan, CoordinatorOptions options, RunLog log, CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _log = log;
        _metrics = new CoordinatorMetrics(Metrics.WithCustomRegistry(registry));
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
        _router.ReceiveReady += (_, _) => OnReceive();
        _actions.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var a, TimeSpan.Zero)) a();
        };
        _poller = [_router, _actions, _tick];
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
        if (_thread is null) return false;
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
        return asked.Task.Wait(TimeSpan.FromSeconds(5)) && asked.Task.Result;
    }

    /// <summary>Tells every worker the run is over, then closes the socket (a short grace for the messages to leave).</summary>
    public void Stop(string reason)
    {
        if (_thread is null) return;
        var done = new ManualResetEventSlim();
        _actions.Enqueue(() =>
        {
            foreach (var w in _book.Workers)
            {
                Send(w.Key, Protocol.End, reason);
                Report(w, "finished");
            }

            foreach (var item in _book.AbandonAll()) item.Completion.TrySetException(new InvalidOperationException($"coordinator stopped: {reason}"));
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
        _book.Submit(item);
        Pump();
    });

    internal ulong NextBatchId() => (ulong)Interlocked.Increment(ref _nextBatchId);

    private WorkersSummary Snapshot() => new(
        _book.Joined, _book.Left, _book.Died, _book.BatchesResent, _book.DuplicateEvents, _book.DuplicateBatches, Interlocked.Read(ref _rejected),
        [.. _seen.Values.OrderBy(w => w.Name, StringComparer.Ordinal)]);

    private double Now => _clock.Elapsed.TotalSeconds;

    private void OnReceive()
    {
        var msg = new NetMQMessage();
        while (_router.TryReceiveMultipartMessage(TimeSpan.Zero, ref msg))
        {
            try
            {
                Handle(msg);
            }
            catch (Exception e)
            {
                // Whatever a peer sends, the socket thread must survive it.
                _log.Warn("coordinator", $"malformed message from a worker dropped: {e.GetType().Name}: {e.Message}");
                _metrics.Malformed.Inc();
            }

            msg = new NetMQMessage();
        }
    }

    private void Handle(NetMQMessage msg)
    {
        if (msg.FrameCount < 2) throw new FormatException($"message of {msg.FrameCount} frames");
        static void Need(NetMQMessage m, int frames, string what)
        {
            if (m.FrameCount < frames) throw new FormatException($"{what} of {m.FrameCount - 1} frames");
        }

        var key = Convert.ToHexString(msg[0].Buffer);
        var command = msg[1].ConvertToString();
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
                Pump();
                break;
            default:
                throw new FormatException($"unknown command '{command}'");
        }
    }

    private void OnHello(string key, NetMQMessage msg)
    {
        var hello = WireMessages.ReadHello(msg[2].Buffer);
        if (string.IsNullOrWhiteSpace(hello.Name)) hello = hello with { Name = $"worker-{key[..Math.Min(6, key.Length)].ToLowerInvariant()}" };
        if (hello.Protocol != Protocol.Version)
        {
            Reject(key, hello.Name, $"protocol '{hello.Protocol}' not spoken here (coordinator speaks '{Protocol.Version}')");
            return;
        }

        if (_allowed.Count > 0)
        {
            var proof = msg.FrameCount > 3 ? msg[3].Buffer : [];
            var workerKey = _options.Curve is null || proof.Length == 0 ? null : JoinProof.Verify(proof, _options.Curve);
            if (workerKey is null || !_allowed.Contains(Convert.ToHexString(workerKey)))
            {
                Reject(key, hello.Name, workerKey is null ? "no valid proof of a worker key (start the worker with --curve-secret)" : "worker key not in the allowed list");
                return;
            }
        }

        var name = UniqueName(hello.Name, key);
        var w = _book.Join(key, name, Now);
        Report(w, "running");
        _options.ScrapeTargets?.SetWorker(name, hello.Metrics);
        Send(key, Protocol.Welcome, _welcomeTemplate with { WorkerId = name });
        _log.Info("coordinator", $"worker {name} joined ({hello.Host}, pid {hello.Pid}, {hello.Version})");
    }

    private string UniqueName(string name, string key)
    {
        if (_book.Workers.All(w => w.Name != name || w.Key == key)) return name;
        return $"{name}-{key[..Math.Min(6, key.Length)].ToLowerInvariant()}";
    }

    private void Reject(string key, string name, string reason)
    {
        Interlocked.Increment(ref _rejected);
        _metrics.Rejected.Inc();
        _log.Warn("coordinator", $"worker {name} refused: {reason}");
        Send(key, Protocol.Reject, reason);
    }

    private void OnResult(string key, WorkerEntry? worker, NetMQMessage msg)
    {
        if (msg.FrameCount != 7) throw new FormatException($"RESULT of {msg.FrameCount} frames; 7 expected");
        var header = BatchFrames.ReadHeader(msg[2].Buffer);
        var (duplicatesBefore, duplicateEventsBefore) = (_book.DuplicateBatches, _book.DuplicateEvents);
        var item = _book.Complete(key, header.BatchId, header.Count);
        if (item is not null)
        {
            var frames = new byte[5][];
            for (var i = 0; i < 5; i++) frames[i] = msg[i + 2].Buffer;
            item.Completion.TrySetResult(new WorkReply(frames, worker?.Name ?? key));
        }
        else if (_book.DuplicateBatches > duplicatesBefore)
        {
            _metrics.Duplicates.Inc(_book.DuplicateEvents - duplicateEventsBefore);
            _log.Info("coordinator", $"batch {header.BatchId} answered again by {worker?.Name ?? "a departed worker"}: duplicate of {_book.DuplicateEvents - duplicateEventsBefore} event(s) suppressed");
        }
        else
        {
            _metrics.Malformed.Inc();
            _log.Warn("coordinator", $"answer for batch {header.BatchId} from {worker?.Name ?? "an unknown peer"} not taken: that batch was not sent there");
        }

        if (worker is not null)
        {
            _metrics.Acked(worker.Name).Inc();
            Report(worker, "running");
        }

        Pump();
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

    private void OnTick()
    {
        var now = Now;
        var interval = _options.Heartbeat.TotalSeconds;
        foreach (var w in _book.Workers)
        {
            Send(w.Key, Protocol.Heartbeat);
            if (now - w.LastSeen > 1.5 * interval)
            {
                w.HeartbeatsMissed++;
                _metrics.Missed(w.Name).Inc();
            }
        }

        foreach (var dead in _book.Expire(now, _options.DeadAfter.TotalSeconds))
        {
            Report(dead, "dead");
            _log.Warn("coordinator", $"worker {dead.Name} declared dead: silent for {now - dead.LastSeen:0.0} s; its unanswered batches go to other workers");
        }

        if (_book.Workers.Count == 0 && _book.Open > 0)
        {
            if (_idleSince < 0)
            {
                _idleSince = now;
                _log.Warn("coordinator", $"{_book.Open} batch(es) wait and no worker is connected; waiting up to {_options.WorkerWait.TotalSeconds:0} s for one (streams worker --join {Endpoint})");
            }
            else if (now - _idleSince > _options.WorkerWait.TotalSeconds)
            {
                var abandoned = _book.AbandonAll();
                _log.Error("coordinator", $"no worker for {_options.WorkerWait.TotalSeconds:0} s: failing {abandoned.Count} waiting batch(es)");
                foreach (var item in abandoned) item.Completion.TrySetException(new TimeoutException($"no worker joined within {_options.WorkerWait.TotalSeconds:0} s"));
                _idleSince = -1;
            }
        }
        else
        {
            _idleSince = -1;
        }

        Pump();
    }

    private void Report(WorkerEntry w, string state)
    {
        if (state != "running") _options.ScrapeTargets?.RemoveWorker(w.Name);
        _seen[w.Key] = new WorkerReport(w.Name, state, w.BatchesSent, w.BatchesAcked, w.EventsDone, w.HeartbeatsMissed, Math.Round(Now - w.JoinedAt, 1));
    }

    public RemoteStageState StateOf(string stage) => Volatile.Read(ref _state).Value;

    private StrongBox<RemoteStageState> _state = new(default);
    private int _peakThreads;

    private void Publish()
    {
        Volatile.Write(ref _workersAlive, _book.Workers.Count);
        var threads = _book.Workers.Where(w => !w.Leaving).Sum(w => w.Threads);
        _peakThreads = Math.Max(_peakThreads, threads);
        Volatile.Write(ref _state, new StrongBox<RemoteStageState>(new RemoteStageState(threads, _book.Workers.Count, _book.Pending, _peakThreads)));
        _metrics.Alive.Set(_book.Workers.Count);
        _metrics.Waiting.Set(_book.Pending);
        foreach (var w in _book.Workers) _metrics.InFlight(w.Name).Set(w.InFlight.Count);
        _metrics.Joined.IncTo(_book.Joined);
        _metrics.Left.IncTo(_book.Left);
        _metrics.Died.IncTo(_book.Died);
    }

    private void Send(string key, string command, string? text = null)
    {
        var m = _router.SendMoreFrame(Convert.FromHexString(key));
        if (text is null) m.SendFrame(command);
        else m.SendMoreFrame(command).SendFrame(text);
    }

    private void Send<T>(string key, string command, T json) =>
        _router.SendMoreFrame(Convert.FromHexString(key)).SendMoreFrame(command).SendFrame(Protocol.ToJson(json));

    private static string BindRouter(RouterSocket router, string listen)
    {
        if (!listen.StartsWith("tcp://", StringComparison.Ordinal)) throw new ArgumentException($"listen address '{listen}' must look like tcp://HOST:PORT");
        var hostPort = listen["tcp://".Length..];
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], out var port) || port is < 0 or > 65535)
        {
            throw new ArgumentException($"listen address '{listen}' must look like tcp://HOST:PORT");
        }

        var host = hostPort[..colon];
        if (host == "0.0.0.0") host = "*";
        if (port == 0)
        {
            var chosen = router.BindRandomPort($"tcp://{host}");
            return $"tcp://{(host == "*" ? "0.0.0.0" : host)}:{chosen}";
        }

        try
        {
            router.Bind($"tcp://{host}:{port}");
        }
        catch (AddressAlreadyInUseException)
        {
            throw new ArgumentException($"cannot listen on {listen}: the address is in use (another coordinator, or a run still draining?); choose another port");
        }

        return listen;
    }

    public void Dispose()
    {
        if (_thread is not null) Stop("coordinator disposed");
        _poller.Dispose();
        _router.Dispose();
        _actions.Dispose();
    }
}

/// <summary>One worker in the summary.</summary>
public sealed record WorkerReport(string Name, string State, long BatchesSent, long BatchesAcked, long Events, long HeartbeatsMissed, double Seconds);

/// <summary>The summary's <c>"workers"</c> section.</summary>
public sealed record WorkersSummary(long Joined, long Left, long Died, long BatchesResent, long DuplicatesSuppressed, long DuplicateBatches, long Refused, IReadOnlyList<WorkerReport> Workers);

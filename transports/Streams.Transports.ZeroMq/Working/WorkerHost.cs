using NetMQ;
using NetMQ.Sockets;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Framing;
using Streams.Transports.ZeroMq.Security;

namespace Streams.Transports.ZeroMq.Working;

/// <summary>
/// A worker process (<c>streams worker --join tcp://HOST:PORT</c>): joins the coordinator, builds the stages it is
/// sent (one operator instance per thread), takes each stage's batches against the credit it grants for that stage,
/// returns the results, and keeps heartbeats going. If the coordinator falls silent it reconnects (a restarted
/// coordinator admits it again) and exits with a clear message when nobody answers for
/// <see cref="WorkerOptions.GiveUpAfter"/>. Asked to leave, it finishes what it holds first. Where it stands is a
/// <see cref="WorkerLifecycle"/>; the messages are <see cref="WorkerProtocol"/>'s. This file is the socket loop and
/// liveness (time read from <see cref="WorkerOptions.Time"/>; the wall-clock timer only makes the checks happen); the
/// handling of each message is in <c>WorkerHost.Handling.cs</c>.
/// </summary>
public sealed partial class WorkerHost : IDisposable
{
    private readonly WorkerOptions _options;
    private readonly OperatorCatalog _catalog;
    private readonly RunLog _log;
    private readonly NetMQQueue<Action> _actions = new();
    private readonly NetMQTimer _tick = new(TimeSpan.FromMilliseconds(500));
    private readonly NetMQPoller _poller;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly TaskCompletionSource<WorkerExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, StageThreads> _stages = new(StringComparer.Ordinal);
    private readonly WorkerMetrics _metrics;
    private readonly PeerLog _peer;
    private readonly WorkerLifecycle _life = new();
    private DealerSocket? _socket;
    private int _connection; // one per socket: answers to batches of an earlier connection are not sent on a later one
    private double _lastHeard;
    private double _lastHello = double.NegativeInfinity;
    private double _heartbeat = 1;
    private double _deadAfter = 5;
    private int _held;
    private long _done;

    public WorkerHost(WorkerOptions options, OperatorCatalog catalog, RunLog log)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _log = log;
        _time = options.Time ?? TimeProvider.System;
        _started = _time.GetTimestamp();
        _peer = new PeerLog(log, "worker", "messages from the coordinator", options.Time);
        _metrics = new WorkerMetrics((options.Registry ?? Streams.Engine.Metrics.MetricsRegistry.CreatePrivate()).Factory);
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

    /// <summary>Where the worker process stands now.</summary>
    public WorkerState State => _life.State;

    /// <summary>Moves of the state machine refused so far (0 in a sound run).</summary>
    public long InvalidTransitions => _life.InvalidTransitions;

    /// <summary>Malformed messages from the coordinator so far (read on the socket thread, or after the run).</summary>
    public long MalformedMessages => _peer.Malformed;

    private double Now => _time.GetElapsedTime(_started).TotalSeconds;

    /// <summary>Runs until the run ends, the worker leaves (cancel <paramref name="leave"/>), or it gives up.</summary>
    public async Task<WorkerExit> RunAsync(CancellationToken leave)
    {
        _actions.Enqueue(Connect);
        using var onLeave = leave.Register(() => _actions.Enqueue(() => BeginLeaving("asked to leave")));
        var thread = new Thread(() => _poller.Run()) { IsBackground = true, Name = "streams-worker" };
        thread.Start();
        var code = await _exit.Task.ConfigureAwait(false);
        _poller.Stop();
        if (thread.Join(TimeSpan.FromSeconds(5)))
        {
            // What the socket thread did not get to: results are dropped now (their buffers go back), nothing is sent.
            while (_actions.TryDequeue(out var action, TimeSpan.Zero)) action();
        }
        _peer.Flush(); // the socket thread is done: what it left unsummed goes out now
        foreach (var s in _stages.Values) s.Stop();
        _stages.Clear();
        return code;
    }

    private void Connect()
    {
        if (_socket is not null)
        {
            // What the old socket still holds (heartbeats, answers, a HELLO) is for a coordinator that is gone: with a
            // linger it would still be delivered, on a connection that then drops, to whichever coordinator listens
            // next (a restarted one would see a stale peer come and go).
            _poller.Remove(_socket);
            DiscardUnsent();
            _socket.Dispose();
        }

        if (_life.State != WorkerState.Connecting) _life.Move(WorkerState.Connecting);
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
        _connection++;
        _poller.Add(socket);
        _metrics.Connected.Set(0);
        _lastHeard = Now; // the give-up clock starts when the worker starts trying
        SendHello();
    }

    private void SendHello()
    {
        var version = typeof(WorkerHost).Assembly.GetName().Version?.ToString(3) ?? "0";
        var hello = new WorkerHello(_options.Name, Environment.MachineName, Environment.ProcessId, Protocol.Version, $"streams {version}") { Metrics = _options.MetricsAddress };
        var proof = _options.ServerKey is { } key && _options.Certificate is { } cert ? JoinProof.Create(cert, key) : [];
        _lastHello = Now;
        WorkerProtocol.SendHello(_socket!, hello, proof);
    }

    private const int MessagesPerTurn = 1024;

    private void OnReceive()
    {
        var msg = new NetMQMessage();
        // At most a slice of messages per turn: a flood must not starve the timers (heartbeats, deadlines) and the queue.
        for (var n = 0; n < MessagesPerTurn && _socket!.TryReceiveMultipartMessage(TimeSpan.Zero, ref msg); n++)
        {
            _lastHeard = Now;
            try
            {
                Handle(msg);
            }
            catch (Exception e)
            {
                // Whatever arrives, the socket thread must survive it (and not flood the log).
                var command = msg.FrameCount > 0 ? WorkerProtocol.CommandOf(msg[0]) : null;
                _peer.ReportMalformed($"{command ?? "unknown command"} ({e.GetType().Name})", $"malformed {command ?? "message"} from the coordinator dropped: {PeerLog.Clip(e.Message, 200)}");
            }

            msg = new NetMQMessage();
        }
    }

    private void OnTick()
    {
        if (_life.State == WorkerState.Gone) return;
        var now = Now;
        _peer.Tick();
        if (_life.State == WorkerState.Connecting)
        {
            if (now - _lastHeard > _options.GiveUpAfter.TotalSeconds)
            {
                _log.Error("worker", $"no answer from the coordinator at {_options.Join} for {_options.GiveUpAfter.TotalSeconds:0} s (is it running? is --curve-server-key right?); exiting");
                // The HELLOs queued for a coordinator that never answered must not reach one that comes up now (while the
                // socket lingers): it would admit a worker that has gone, and declare it dead as the connection drops.
                DiscardUnsent();
                Exit(WorkerExit.CoordinatorLost);
                return;
            }

            if (now - _lastHello >= Math.Max(1, _heartbeat)) SendHello();
            return;
        }

        WorkerProtocol.SendSignal(_socket!, Protocol.Heartbeat);
        if (now - _lastHeard > _deadAfter)
        {
            _log.Warn("worker", $"the coordinator at {_options.Join} has been silent for {now - _lastHeard:0.0} s; reconnecting (giving up after {_options.GiveUpAfter.TotalSeconds:0} s)");
            foreach (var s in _stages.Values) _held -= s.DropQueued();
            Connect(); // the worker tries for the whole --give-up-after from now, not what is left of it after the silence
        }
    }

    /// <summary>Drops what the socket has not sent yet when it closes (no linger).</summary>
    private void DiscardUnsent()
    {
        if (_socket is not null) _socket.Options.Linger = TimeSpan.Zero;
    }

    public void Dispose()
    {
        foreach (var s in _stages.Values) s.Stop();
        _poller.Dispose();
        _socket?.Dispose();
        _actions.Dispose();
        _tick.Enable = false;
    }
}

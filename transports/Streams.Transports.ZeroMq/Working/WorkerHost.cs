using System.Collections.Concurrent;
using System.Text;
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
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly TaskCompletionSource<WorkerExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, StageRunners> _stages = new(StringComparer.Ordinal);
    private readonly WorkerMetrics _metrics;
    private readonly PeerLog _peer;
    private DealerSocket? _socket;
    private int _connection; // one per socket: answers to batches of an earlier connection are not sent on a later one
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

    private long _done;

    private double Now => _time.GetElapsedTime(_started).TotalSeconds;

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
        _welcome = null;
        _metrics.Connected.Set(0);
        _leaveSent = false;
        _drained = false;
        _lastHeard = Now; // the give-up clock starts when the worker starts trying
        SendHello();
    }

    private void SendHello()
    {
        var version = typeof(WorkerHost).Assembly.GetName().Version?.ToString(3) ?? "0";
        var hello = new WorkerHello(_options.Name, Environment.MachineName, Environment.ProcessId, Protocol.Version, $"streams {version}") { Metrics = _options.MetricsAddress };
        var proof = _options.ServerKey is { } key && _options.Certificate is { } cert ? JoinProof.Create(cert, key) : [];
        _lastHello = Now;
        _socket!.SendMoreFrame(Protocol.Hello).SendMoreFrame(Protocol.ToJson(hello)).SendFrame(proof);
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
                var command = CommandOf(msg);
                _peer.ReportMalformed($"{command ?? "unknown command"} ({e.GetType().Name})", $"malformed {command ?? "message"} from the coordinator dropped: {PeerLog.Clip(e.Message, 200)}");
            }

            msg = new NetMQMessage();
        }
    }

    private static string? CommandOf(NetMQMessage msg) =>
        msg.FrameCount > 0 && msg[0].BufferSize is > 0 and <= 8 && Protocol.Commands.Contains(msg[0].ConvertToString()) ? msg[0].ConvertToString() : null;

    /// <summary>Malformed messages from the coordinator so far (read on the socket thread, or after the run).</summary>
    public long MalformedMessages => _peer.Malformed;

    private void Handle(NetMQMessage msg)
    {
        var command = CommandOf(msg) ?? throw new FormatException(msg.FrameCount == 0 ? "empty message" : $"unknown command '{PeerLog.Clip(msg[0].Buffer)}'");
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
                _log.Info("worker", $"the coordinator ended the run ({(msg.FrameCount > 1 ? PeerLog.Clip(msg[1].Buffer, 200) : "")}); {BatchesDone} batches done; exiting");
                _exit.TrySetResult(WorkerExit.Done);
                break;
            case Protocol.Reject:
                var reason = msg.FrameCount > 1 ? PeerLog.Clip(msg[1].Buffer, 200) : "no reason given";
                if (reason.StartsWith("unknown worker", StringComparison.Ordinal))
                {
                    // Declared dead (or a restarted coordinator): join again rather than talk on into the void. Before
                    // the WELCOME it answers something stale: the HELLO goes again.
                    if (_welcome is null)
                    {
                        SendHello();
                        break;
                    }

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
                    _log.Error("worker", $"cannot run stage '{PeerLog.Clip(def.Stage)}': {PeerLog.Clip(e.Message, 300)}");
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
        var stages = string.Join(", ", welcome.Stages.Take(16).Select(s => $"{PeerLog.Clip(s.Stage)} ({PeerLog.Clip(s.Operator)}) x{_stages[s.Stage].Threads}"));
        _log.Info("worker", $"joined pipeline '{PeerLog.Clip(welcome.Pipeline)}' at {_options.Join} as {PeerLog.Clip(welcome.WorkerId)}: {stages}");
        foreach (var def in welcome.Stages)
        {
            // Credit and threads per stage: the coordinator dispatches and measures each stage apart.
            var stageThreads = _stages[def.Stage].Threads;
            var f = Protocol.CreditFrames(def.Stage, stageThreads * _options.CreditPerThread, stageThreads);
            _socket!.SendMoreFrame(Protocol.Credit).SendMoreFrame(f[0]).SendMoreFrame(f[1]).SendFrame(f[2]);
        }

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
            Finish(StageRunners.FailedResult(header, $"stage '{PeerLog.Clip(stage)}' is not running on this worker"), _connection);
            return;
        }

        runners.Enqueue(new Job(msg[2].Buffer, msg[3].Buffer, msg[4].Buffer, _connection));
    }

    /// <summary>Called from processing threads with a finished RESULT message.</summary>
    private void Finish(NetMQMessage? result, int connection)
    {
        if (Volatile.Read(ref _closed)) return; // the worker is exiting: the coordinator resends what it does not get
        try
        {
            _actions.Enqueue(() => Send(connection == _connection ? result : null)); // a batch of an earlier connection: nobody takes its answer
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
            DiscardUnsent(); // no HELLO may reach a coordinator after this worker has gone
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
        _peer.Tick();
        if (_welcome is null)
        {
            if (now - _lastHeard > _options.GiveUpAfter.TotalSeconds)
            {
                _log.Error("worker", $"no answer from the coordinator at {_options.Join} for {_options.GiveUpAfter.TotalSeconds:0} s (is it running? is --curve-server-key right?); exiting");
                // The HELLOs queued for a coordinator that never answered must not reach one that comes up now (while the
                // socket lingers): it would admit a worker that has gone, and declare it dead as the connection drops.
                DiscardUnsent();
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

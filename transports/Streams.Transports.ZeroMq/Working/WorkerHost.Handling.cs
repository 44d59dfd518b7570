using NetMQ;
using Streams.Engine.Operators;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.ZeroMq.Working;

/// <summary>
/// The worker process's handling of the coordinator's messages (WELCOME, WORK, HB, DRAIN, END, REJECT), its answers
/// (CREDIT per stage, RESULT, LEAVE, BYE), and every move of its <see cref="WorkerLifecycle"/>.
/// </summary>
public sealed partial class WorkerHost
{
    private void Handle(NetMQMessage msg)
    {
        var command = (msg.FrameCount > 0 ? WorkerProtocol.CommandOf(msg[0]) : null)
            ?? throw new FormatException(msg.FrameCount == 0 ? "empty message" : $"unknown command '{PeerLog.Clip(msg[0].Buffer)}'");
        switch (command)
        {
            case Protocol.Welcome:
                if (_life.State == WorkerState.Connecting) OnWelcome(WorkerProtocol.ReadWelcome(msg, at: 0)); // a second one would grant credit twice
                break;
            case Protocol.Work:
                OnWork(WorkerProtocol.ReadWork(msg, at: 0));
                break;
            case Protocol.Heartbeat:
                break;
            case Protocol.Drain:
                // Every WORK meant for this worker was sent before this: it says BYE once it has answered what it holds.
                if (_life.State == WorkerState.Joined) _log.Info("worker", $"the coordinator asked this worker to leave: finishing {_held} batch(es) in hand, then leaving");
                _life.Move(WorkerState.Drained); // refused and counted before the WELCOME or when drained already
                if (_life.State == WorkerState.Drained && _held == 0) Depart();
                break;
            case Protocol.End:
                _log.Info("worker", $"the coordinator ended the run ({WorkerProtocol.ReadText(msg, 0, "")}); {BatchesDone} batches done; exiting");
                Exit(WorkerExit.Done);
                break;
            case Protocol.Reject:
                var reason = WorkerProtocol.ReadText(msg, 0, "no reason given");
                if (reason.StartsWith("unknown worker", StringComparison.Ordinal))
                {
                    // Declared dead (or a restarted coordinator): join again rather than talk on into the void. Before
                    // the WELCOME it answers something stale: the HELLO goes again.
                    if (_life.State == WorkerState.Connecting)
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
                    Exit(WorkerExit.Refused);
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
                    WorkerProtocol.SendSignal(_socket!, Protocol.Bye);
                    Exit(WorkerExit.Refused);
                    return;
                }

                _stages[def.Stage] = runners;
            }

            threads += runners.Threads;
        }

        _life.Move(WorkerState.Joined);
        _metrics.Connected.Set(1);
        _metrics.Threads.Set(threads);
        var stages = string.Join(", ", welcome.Stages.Take(16).Select(s => $"{PeerLog.Clip(s.Stage)} ({PeerLog.Clip(s.Operator)}) x{_stages[s.Stage].Threads}"));
        _log.Info("worker", $"joined pipeline '{PeerLog.Clip(welcome.Pipeline)}' at {_options.Join} as {PeerLog.Clip(welcome.WorkerId)}: {stages}");
        foreach (var def in welcome.Stages)
        {
            // Credit and threads per stage: the coordinator dispatches and measures each stage apart.
            var stageThreads = _stages[def.Stage].Threads;
            WorkerProtocol.SendCredit(_socket!, new CreditGrant(def.Stage, stageThreads * _options.CreditPerThread, stageThreads));
        }

        if (_life.LeaveAsked) BeginLeaving("asked to leave");
    }

    private StageThreads StartStage(StageDefinition def)
    {
        if (!_catalog.TryGet(def.Operator, out var descriptor)) throw new InvalidOperationException($"operator '{def.Operator}' is not known to this worker (a different Streams version?)");
        var config = def.ToConfig(descriptor);
        var problems = config.Check();
        if (problems.Count > 0) throw new ConfigException(string.Join("; ", problems.Select(p => p.Message)));
        var threads = Math.Max(1, _options.Threads ?? def.Threads);
        return new StageThreads(def, descriptor, config, threads, _log, Finish);
    }

    private void OnWork(WorkMessage work)
    {
        _held++;
        _metrics.Held.Set(_held);
        _metrics.Events.Inc(work.Header.Count);
        if (!_stages.TryGetValue(work.Stage, out var runners))
        {
            // Not ours (the pipeline changed under us): answer with every event failed, so nothing is lost.
            Finish(WorkerProtocol.FailedResult(work.Header, $"stage '{PeerLog.Clip(work.Stage)}' is not running on this worker"), _connection);
            return;
        }

        runners.Enqueue(new Job(work.HeaderFrame, work.Meta, work.Payload, _connection));
    }

    /// <summary>Called from processing threads with a finished RESULT (null: nothing to answer), which it now owns.</summary>
    private void Finish(OutgoingResult? result, int connection)
    {
        if (_life.State == WorkerState.Gone)
        {
            result?.Dispose(); // the worker is exiting: the coordinator resends what it does not get
            return;
        }

        try
        {
            _actions.Enqueue(() => Send(result, connection));
        }
        catch (ObjectDisposedException)
        {
            result?.Dispose(); // closed between the check and the enqueue
        }
    }

    /// <summary>Sends a RESULT on the connection its batch came on (a batch of an earlier connection: nobody takes its answer), then lets its buffer go.</summary>
    private void Send(OutgoingResult? result, int connection)
    {
        using (result)
        {
            if (result is not null && connection == _connection && _life.State != WorkerState.Gone) _socket?.SendMultipartMessage(result.Message);
        }

        _held--;
        _metrics.Held.Set(_held);
        _metrics.Batches.Inc();
        Interlocked.Increment(ref _done);
        if (_life.State == WorkerState.Drained && _held == 0) Depart();
    }

    private void BeginLeaving(string why)
    {
        _life.AskToLeave();
        switch (_life.State)
        {
            case WorkerState.Connecting:
                _log.Info("worker", $"{why} before joining; exiting");
                DiscardUnsent(); // no HELLO may reach a coordinator after this worker has gone
                Exit(WorkerExit.Done);
                break;
            case WorkerState.Joined:
                _life.Move(WorkerState.Leaving);
                _log.Info("worker", $"{why}: finishing {_held} batch(es) in hand, then leaving");
                WorkerProtocol.SendSignal(_socket!, Protocol.Leave);
                break;
        }
    }

    /// <summary>Drained and holding nothing: BYE, and gone.</summary>
    private void Depart()
    {
        if (_life.State == WorkerState.Gone) return;
        WorkerProtocol.SendSignal(_socket!, Protocol.Bye);
        _log.Info("worker", $"drained and left after {BatchesDone} batches");
        Exit(WorkerExit.Done);
    }

    private void Exit(WorkerExit code)
    {
        if (_life.State != WorkerState.Gone) _life.Move(WorkerState.Gone);
        _exit.TrySetResult(code);
    }
}

using NetMQ;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Framing;
using Streams.Transports.ZeroMq.Security;
using Streams.Engine.Operators;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// The coordinator's protocol handling: admission (HELLO, WELCOME, REJECT), credit per stage (CREDIT), leaving (LEAVE,
/// DRAIN, BYE), and the dispatch of each stage's batches (WORK). Every change of a worker process's state goes
/// through the <see cref="WorkerRoster"/>'s state machine.
/// </summary>
public sealed partial class Coordinator
{
    private void Handle(NetMQMessage msg)
    {
        if (msg.FrameCount < 2) throw new FormatException($"message of {msg.FrameCount} frames");
        var key = Convert.ToHexString(msg[0].Buffer);
        var command = WorkerProtocol.CommandOf(msg[1]) ?? throw new FormatException($"unknown command '{PeerLog.Clip(msg[1].Buffer)}'");
        var worker = _roster.Find(key);
        if (worker is not null) worker.LastSeen = Now;
        switch (command)
        {
            case Protocol.Hello:
                if (msg.FrameCount < 3) throw new FormatException($"HELLO of {msg.FrameCount - 1} frames");
                if (worker is not null) return; // welcomed already (a repeated HELLO while the WELCOME travelled)
                OnHello(key, WorkerProtocol.ReadHello(msg, at: 1));
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
                var credit = WorkerProtocol.ReadCredit(msg, at: 1);
                var seat = _stages.TryGetValue(credit.Stage, out var stage) ? stage.Book.Find(key) : null;
                if (seat is null) throw new FormatException("CREDIT for a stage not placed on workers");
                seat.Credit += Math.Min(credit.Batches, 4096);
                if (credit.Threads is { } threads) seat.Threads = Math.Min(threads, 4096);
                Pump();
                break;
            case Protocol.Heartbeat:
                break;
            case Protocol.Leave:
                if (worker.Phase != WorkerPhase.Joined) break; // asked already (a DRAIN of ours crossed its LEAVE)
                BeginDrain(worker);
                _log.Info("coordinator", $"worker {worker.Name} is leaving; draining {HeldBy(worker)} batch(es)");
                break;
            case Protocol.Bye:
                var requeued = Remove(worker, WorkerPhase.Left);
                _log.Info("coordinator", $"worker {worker.Name} left after {worker.BatchesAcked} batches{(requeued > 0 ? $"; {requeued} unanswered batch(es) sent to others" : "")}");
                AfterRemoval();
                break;
            default:
                throw new FormatException($"{command} is not sent by workers");
        }
    }

    private void OnHello(string key, HelloMessage message)
    {
        var hello = message.Hello;
        // What the peer says about itself goes into logs, metric labels, the summary and the scrape file: bounded.
        var name = string.IsNullOrWhiteSpace(hello.Name) ? $"worker-{key[..Math.Min(6, key.Length)].ToLowerInvariant()}" : PeerLog.Clip(hello.Name);
        if (hello.Protocol != Protocol.Version)
        {
            Reject(key, name, "protocol", $"protocol '{PeerLog.Clip(hello.Protocol)}' not spoken here (coordinator speaks '{Protocol.Version}')");
            return;
        }

        if (_allowed.Count > 0)
        {
            var proof = message.Proof;
            var workerKey = _options.Curve is null || proof.Length == 0 ? null : JoinProof.Verify(proof, _options.Curve);
            if (workerKey is null || !_allowed.Contains(Convert.ToHexString(workerKey)))
            {
                Reject(key, name, "key", workerKey is null ? "no valid proof of a worker key (start the worker with --curve-secret)" : "worker key not in the allowed list");
                return;
            }
        }

        name = UniqueName(name, key);
        var w = _roster.Join(key, name, Now);
        foreach (var stage in _stageList) stage.Book.Join(key, name);
        _gaveUpWaiting = false;
        Report(w);
        _options.ScrapeTargets?.SetWorker(name, hello.Metrics is { Length: <= 255 } m ? m : null);
        WorkerProtocol.SendWelcome(_router, Convert.FromHexString(key), _welcomeTemplate with { WorkerId = name });
        _log.Info("coordinator", $"worker {name} joined ({PeerLog.Clip(hello.Host)}, pid {hello.Pid}, {PeerLog.Clip(hello.Version)})");
        Publish();
    }

    private string UniqueName(string name, string key)
    {
        if (_roster.Present.All(w => w.Name != name || w.Key == key)) return name;
        return $"{name}-{key[..Math.Min(6, key.Length)].ToLowerInvariant()}";
    }

    private void Reject(string key, string name, string why, string reason)
    {
        Interlocked.Increment(ref _rejected);
        _metrics.Rejected.Inc();
        _peers.Report($"refused ({why})", $"worker {name} refused: {reason}", RunLogLevel.Warning);
        Send(key, Protocol.Reject, reason);
        PublishSummary();
    }

    /// <summary>Joined -> Leaving: no more work for it in any stage; DRAIN tells it that no WORK follows on this connection.</summary>
    private void BeginDrain(RemoteWorker worker)
    {
        if (!_roster.Move(worker, WorkerPhase.Leaving)) return;
        foreach (var stage in _stageList)
        {
            if (stage.Book.Find(worker.Key) is { } seat) seat.Leaving = true;
        }

        Send(worker.Key, Protocol.Drain);
        Publish();
    }

    /// <summary>The worker process goes (<paramref name="to"/>: left, dead, expelled): out of every stage's book; returns the batches queued again.</summary>
    private int Remove(RemoteWorker worker, WorkerPhase to)
    {
        if (!_roster.Move(worker, to)) return 0;
        var requeued = 0;
        foreach (var stage in _stageList) requeued += stage.Book.Remove(worker.Key);
        Report(worker);
        return requeued;
    }

    /// <summary>Batches a worker process holds now, all stages.</summary>
    private int HeldBy(RemoteWorker worker) => _stageList.Sum(s => s.Book.Find(worker.Key)?.InFlight.Count ?? 0);

    /// <summary>Sends each stage's waiting batches to the worker processes with credit for that stage.</summary>
    private void Pump()
    {
        foreach (var stage in _stageList)
        {
            foreach (var (seat, item) in stage.Book.Assign())
            {
                WorkerProtocol.SendWork(_router, Convert.FromHexString(seat.Key), stage.StageFrame, item.Batch);
                _metrics.Sent(seat.Name).Inc();
                if (item.Resends > 0) _metrics.Resent.Inc();
                if (_roster.Find(seat.Key) is { } w) w.BatchesSent++;
            }
        }

        Publish();
    }
}

using NetMQ;
using NetMQ.Sockets;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// The coordinator's liveness: heartbeats, worker processes declared dead when silent for --dead-after (time read
/// from the <see cref="CoordinatorOptions.Time"/> provider; the wall-clock timer only makes the check happen) or at once
/// when their connection drops, and the wait for worker processes while batches wait and none is connected (one wait
/// per absence of workers; a stop request shortens it).
/// </summary>
public sealed partial class Coordinator
{
    /// <summary>How often, and how many times, the workers are probed after a connection dropped.</summary>
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(20);
    private const int ProbesPerDisconnect = 25;

    private int _probesLeft;
    private double _idleSince = -1;
    private bool _gaveUpWaiting;
    private bool _stopRequested;
    private bool _ended;

    /// <summary>
    /// A stop was asked for (SIGTERM, --duration, a fatal failure): the run drains, so while no worker is connected the
    /// batches that wait get at most <see cref="CoordinatorOptions.DeadAfter"/> (not the whole --worker-wait) for one.
    /// </summary>
    public void OnStopRequested(string reason)
    {
        if (_thread is null) return;
        _actions.Enqueue(() =>
        {
            if (_stopRequested) return;
            _stopRequested = true;
            if (_roster.Count == 0 && OpenBatches > 0)
            {
                _log.Warn("coordinator", $"{reason} while {OpenBatches} batch(es) wait and no worker is connected: waiting at most {WaitLimit:0.#} s more for one");
            }

            CheckWorkerWait(Now);
        });
    }

    /// <summary>Seconds batches may wait while no worker is connected.</summary>
    private double WaitLimit => _stopRequested ? Math.Min(_options.WorkerWait.TotalSeconds, _options.DeadAfter.TotalSeconds) : _options.WorkerWait.TotalSeconds;

    /// <summary>Batches not answered yet, all stages.</summary>
    private int OpenBatches => _stageList.Sum(s => s.Book.Open);

    private void OnTick()
    {
        if (_ended) return;
        var now = Now;
        var interval = _options.Heartbeat.TotalSeconds;
        Probe(); // the heartbeat, sent so that a worker whose connection is gone shows at once
        foreach (var w in _roster.Present)
        {
            if (now - w.LastSeen > 1.5 * interval)
            {
                w.HeartbeatsMissed++;
                _metrics.Missed(w.Name).Inc();
            }
        }

        foreach (var dead in _roster.Silent(now, _options.DeadAfter.TotalSeconds))
        {
            Remove(dead, WorkerPhase.Dead);
            _log.Warn("coordinator", $"worker {dead.Name} declared dead: silent for {now - dead.LastSeen:0.0} s; its unanswered batches go to other workers");
        }

        FailExhausted();
        CheckWorkerWait(now);
        _peers.Tick();
        Pump();
        PublishSummary();
    }

    /// <summary>Some connection to the ROUTER dropped (the monitor cannot say whose): probe the workers for a while.</summary>
    private void OnDisconnect()
    {
        if (_ended) return;
        _probesLeft = ProbesPerDisconnect; // the router may learn of the pipe's end a moment after the monitor does
        _probe.Enable = true;
        Probe();
    }

    private void OnProbe()
    {
        if (--_probesLeft <= 0 || _ended) _probe.Enable = false;
        if (!_ended) Probe();
    }

    /// <summary>
    /// Sends each worker a heartbeat with ROUTER_MANDATORY on: the router then says which identities have no
    /// connection any more, and those workers are dead now (their batches go out again at once). A worker whose queue
    /// is full is alive (only busy) and is skipped.
    /// </summary>
    private void Probe()
    {
        if (_roster.Count == 0) return;
        List<RemoteWorker>? gone = null;
        _router.Options.RouterMandatory = true;
        try
        {
            foreach (var w in _roster.Present)
            {
                try
                {
                    if (_router.TrySendFrame(TimeSpan.Zero, Convert.FromHexString(w.Key), more: true)) _router.SendFrame(Protocol.Heartbeat);
                }
                catch (HostUnreachableException)
                {
                    (gone ??= []).Add(w);
                }
            }
        }
        finally
        {
            _router.Options.RouterMandatory = false;
        }

        if (gone is null) return;
        foreach (var w in gone)
        {
            var requeued = Remove(w, WorkerPhase.Dead);
            _log.Warn("coordinator", $"worker {w.Name} declared dead: its connection dropped; {requeued} unanswered batch(es) sent to other workers");
        }

        AfterRemoval();
    }

    /// <summary>After a worker went (left, died, expelled): fail what was sent too often, start the wait if none is left, send the rest on.</summary>
    private void AfterRemoval()
    {
        FailExhausted();
        CheckWorkerWait(Now);
        Pump();
    }

    private void FailExhausted()
    {
        foreach (var stage in _stageList)
        {
            foreach (var item in stage.Book.Exhausted)
            {
                item.Completion.TrySetException(new InvalidOperationException($"sent to {item.Resends + 1} workers and lost by each (a batch that kills workers, or workers answering junk): given up"));
            }

            stage.Book.Exhausted.Clear();
        }
    }

    private void CheckWorkerWait(double now)
    {
        var open = OpenBatches;
        if (_roster.Count > 0 || open == 0)
        {
            _idleSince = -1;
            return;
        }

        if (_idleSince < 0)
        {
            _idleSince = now;
            _log.Warn("coordinator", $"{open} batch(es) wait and no worker is connected; waiting up to {WaitLimit:0.#} s for one (streams worker --join {Endpoint})");
        }

        if (now - _idleSince < WaitLimit) return;
        var abandoned = _stageList.SelectMany(s => s.Book.AbandonAll()).ToList();
        _log.Error("coordinator", $"no worker for {now - _idleSince:0.#} s: failing {abandoned.Count} waiting batch(es), and every further one until a worker joins");
        foreach (var item in abandoned) item.Completion.TrySetException(new TimeoutException($"no worker joined within {WaitLimit:0.#} s"));
        _idleSince = -1;
        _gaveUpWaiting = true;
    }

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
}

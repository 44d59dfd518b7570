using System.Runtime.CompilerServices;
using NetMQ;
using NetMQ.Sockets;
using Streams.Engine.Runtime;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// The coordinator's liveness: heartbeats, workers declared dead when silent for --dead-after or at once when their
/// connection drops, and the wait for workers while batches wait and none is connected (one wait per absence of
/// workers; a stop request shortens it).
/// </summary>
public sealed partial class Coordinator
{
    /// <summary>How often, and how many times, the workers are probed after a connection dropped.</summary>
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(20);
    private const int ProbesPerDisconnect = 25;

    private StrongBox<RemoteStageState> _state = new(default);
    private int _peakThreads;
    private int _probesLeft;
    private double _idleSince = -1;
    private bool _gaveUpWaiting;
    private bool _stopRequested;
    private bool _ended;

    public RemoteStageState StateOf(string stage) => Volatile.Read(ref _state).Value;

    private IReadOnlySet<string> _serving = new HashSet<string>(StringComparer.Ordinal);

    public bool HasWorker(string workerName) => Volatile.Read(ref _serving).Contains(workerName);

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
            if (_book.Workers.Count == 0 && _book.Open > 0)
            {
                _log.Warn("coordinator", $"{reason} while {_book.Open} batch(es) wait and no worker is connected: waiting at most {WaitLimit:0.#} s more for one");
            }

            CheckWorkerWait(Now);
        });
    }

    /// <summary>Seconds batches may wait while no worker is connected.</summary>
    private double WaitLimit => _stopRequested ? Math.Min(_options.WorkerWait.TotalSeconds, _options.DeadAfter.TotalSeconds) : _options.WorkerWait.TotalSeconds;

    private void OnTick()
    {
        if (_ended) return;
        var now = Now;
        var interval = _options.Heartbeat.TotalSeconds;
        Probe(); // the heartbeat, sent so that a worker whose connection is gone shows at once
        foreach (var w in _book.Workers)
        {
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

        FailExhausted();
        CheckWorkerWait(now);
        _peers.Tick();
        Pump();
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
        if (_book.Workers.Count == 0) return;
        List<WorkerEntry>? gone = null;
        _router.Options.RouterMandatory = true;
        try
        {
            foreach (var w in _book.Workers)
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
            var requeued = _book.Remove(w, died: true);
            Report(w, "dead");
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
        foreach (var item in _book.Exhausted)
        {
            item.Completion.TrySetException(new InvalidOperationException($"sent to {item.Resends + 1} workers and lost by each (a batch that kills workers, or workers answering junk): given up"));
        }

        _book.Exhausted.Clear();
    }

    private void CheckWorkerWait(double now)
    {
        if (_book.Workers.Count > 0 || _book.Open == 0)
        {
            _idleSince = -1;
            return;
        }

        if (_idleSince < 0)
        {
            _idleSince = now;
            _log.Warn("coordinator", $"{_book.Open} batch(es) wait and no worker is connected; waiting up to {WaitLimit:0.#} s for one (streams worker --join {Endpoint})");
        }

        if (now - _idleSince < WaitLimit) return;
        var abandoned = _book.AbandonAll();
        _log.Error("coordinator", $"no worker for {now - _idleSince:0.#} s: failing {abandoned.Count} waiting batch(es), and every further one until a worker joins");
        foreach (var item in abandoned) item.Completion.TrySetException(new TimeoutException($"no worker joined within {WaitLimit:0.#} s"));
        _idleSince = -1;
        _gaveUpWaiting = true;
    }

    private void Report(WorkerEntry w, string state)
    {
        if (state != "running") _options.ScrapeTargets?.RemoveWorker(w.Name);
        _seen[w.Key] = new WorkerReport(w.Name, state, w.BatchesSent, w.BatchesAcked, w.EventsDone, w.HeartbeatsMissed, Math.Round(Now - w.JoinedAt, 1));
    }

    private void Publish()
    {
        Volatile.Write(ref _workersAlive, _book.Workers.Count);
        if (_serving.Count != _book.Workers.Count || _book.Workers.Any(w => !_serving.Contains(w.Name)))
        {
            Volatile.Write(ref _serving, _book.Workers.Select(w => w.Name).ToHashSet(StringComparer.Ordinal));
        }
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

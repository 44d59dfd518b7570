namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>Where a worker process stands, as the coordinator sees it.</summary>
public enum WorkerPhase
{
    /// <summary>Admitted (HELLO answered with WELCOME): it gets work against its credit.</summary>
    Joined,

    /// <summary>Leaving (it sent LEAVE, or was sent DRAIN): no more work; it goes once it has answered what it holds.</summary>
    Leaving,

    /// <summary>Left after draining (BYE).</summary>
    Left,

    /// <summary>Declared dead: silent for --dead-after, or its connection dropped.</summary>
    Dead,

    /// <summary>Expelled for breaking the protocol.</summary>
    Expelled,

    /// <summary>The run ended while it was connected.</summary>
    Finished,
}

/// <summary>What the coordinator knows of one worker process (its per-stage credit is in each stage's <see cref="DispatchBook"/>).</summary>
internal sealed class RemoteWorker(string key, string name, double now)
{
    /// <summary>The socket identity, hex.</summary>
    public string Key { get; } = key;

    public string Name { get; } = name;

    public WorkerPhase Phase { get; internal set; } = WorkerPhase.Joined;

    /// <summary>Still served by this run (joined or leaving).</summary>
    public bool Present => Phase is WorkerPhase.Joined or WorkerPhase.Leaving;

    public double LastSeen { get; set; } = now;

    public double JoinedAt { get; } = now;

    public long HeartbeatsMissed { get; set; }

    /// <summary>Batches sent to it, all stages.</summary>
    public long BatchesSent { get; set; }

    /// <summary>Batches it answered (and that were taken), all stages.</summary>
    public long BatchesAcked { get; set; }

    /// <summary>Input events of the batches it answered.</summary>
    public long EventsDone { get; set; }
}

/// <summary>
/// The coordinator's view of every worker process and its state machine: Joined -> Leaving -> Left, and from Joined or
/// Leaving to Dead, Expelled or Finished. Any other transition is refused and counted (<see cref="InvalidTransitions"/>).
/// Free of sockets and clocks (times are seconds on any monotonic clock); not thread-safe: the socket thread owns it,
/// though the counters may be read from any thread.
/// </summary>
internal sealed class WorkerRoster
{
    private readonly Dictionary<string, RemoteWorker> _present = new(StringComparer.Ordinal);
    private long _joined, _left, _died, _invalid;

    /// <summary>Worker processes joined or leaving.</summary>
    public IReadOnlyCollection<RemoteWorker> Present => _present.Values;

    public int Count => _present.Count;

    public long Joined => Volatile.Read(ref _joined);

    public long Left => Volatile.Read(ref _left);

    /// <summary>Declared dead or expelled.</summary>
    public long Died => Volatile.Read(ref _died);

    /// <summary>Transitions asked for that the state machine does not allow (a BYE after death, say): refused.</summary>
    public long InvalidTransitions => Volatile.Read(ref _invalid);

    public RemoteWorker? Find(string key) => _present.GetValueOrDefault(key);

    public RemoteWorker Join(string key, string name, double now)
    {
        if (_present.TryGetValue(key, out var existing)) return existing;
        var w = new RemoteWorker(key, name, now);
        _present[key] = w;
        Interlocked.Increment(ref _joined);
        return w;
    }

    /// <summary>Moves <paramref name="worker"/> to <paramref name="to"/>; false (and counted) when the machine does not allow it.</summary>
    public bool Move(RemoteWorker worker, WorkerPhase to)
    {
        var allowed = (worker.Phase, to) switch
        {
            (WorkerPhase.Joined, WorkerPhase.Leaving) => true,
            (WorkerPhase.Joined or WorkerPhase.Leaving, WorkerPhase.Left or WorkerPhase.Dead or WorkerPhase.Expelled or WorkerPhase.Finished) => true,
            _ => false,
        };
        if (!allowed || !_present.ContainsKey(worker.Key))
        {
            Interlocked.Increment(ref _invalid);
            return false;
        }

        worker.Phase = to;
        if (worker.Present) return true;
        _present.Remove(worker.Key);
        if (to == WorkerPhase.Left) Interlocked.Increment(ref _left);
        else if (to is WorkerPhase.Dead or WorkerPhase.Expelled) Interlocked.Increment(ref _died);
        return true;
    }

    /// <summary>The workers silent for longer than <paramref name="deadAfter"/> seconds at <paramref name="now"/> (not yet moved).</summary>
    public List<RemoteWorker> Silent(double now, double deadAfter) => [.. _present.Values.Where(w => now - w.LastSeen > deadAfter)];
}

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>A batch handed to the workers: its frames and the task its stage slot awaits.</summary>
internal sealed class WorkItem(ulong batchId, string stage, int events, byte[][] frames)
{
    public ulong BatchId { get; } = batchId;

    public string Stage { get; } = stage;

    public int Events { get; } = events;

    /// <summary>Stage name, header, meta, payload (the WORK frames after the command).</summary>
    public byte[][] Frames { get; } = frames;

    public int PayloadLength { get; init; }

    /// <summary>Workers (socket identities) it was sent to: only their answers are taken.</summary>
    public HashSet<string> SentTo { get; } = new(StringComparer.Ordinal);

    /// <summary>Times it was sent again after its worker died.</summary>
    public int Resends { get; set; }

    public TaskCompletionSource<WorkReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A worker's answer to a batch: the RESULT frames after the command.</summary>
internal sealed record WorkReply(byte[][] Frames, string Worker);

/// <summary>What the coordinator knows of one worker.</summary>
internal sealed class WorkerEntry(string key, string name, double now)
{
    public string Key { get; } = key;

    public string Name { get; } = name;

    public int Credit { get; set; }

    /// <summary>Threads the worker runs for the stages (from its CREDIT message).</summary>
    public int Threads { get; set; }

    public Dictionary<ulong, WorkItem> InFlight { get; } = [];

    public double LastSeen { get; set; } = now;

    public double JoinedAt { get; } = now;

    /// <summary>Leaving: it gets no more work and goes once it has returned what it holds.</summary>
    public bool Leaving { get; set; }

    public long BatchesSent { get; set; }

    public long BatchesAcked { get; set; }

    public long EventsDone { get; set; }

    public long HeartbeatsMissed { get; set; }

    public int Free => Leaving ? 0 : Math.Max(0, Credit - InFlight.Count);
}

/// <summary>
/// The coordinator's bookkeeping, free of sockets and clocks so that it can be tested exactly: workers and their
/// credit, batches waiting and in flight, death (batches go back to the front of the queue, at least once), and
/// duplicates (a batch answered twice is counted once). Times are seconds on any monotonic clock. Not thread-safe:
/// the coordinator's socket thread owns it.
/// </summary>
internal sealed class DispatchBook
{
    /// <summary>
    /// Times a batch goes out again after its worker was lost: past this it is given up (see <see cref="Exhausted"/>),
    /// so that a batch that kills or derails every worker it visits cannot go round forever.
    /// </summary>
    public const int MaxResends = 4;

    private readonly LinkedList<WorkItem> _pending = new();
    private readonly Dictionary<ulong, WorkItem> _open = [];
    private readonly Dictionary<string, WorkerEntry> _workers = new(StringComparer.Ordinal);
    private int _rotation;

    public IReadOnlyCollection<WorkerEntry> Workers => _workers.Values;

    public int Pending => _pending.Count;

    public int Open => _open.Count;

    public long Joined { get; private set; }

    public long Left { get; private set; }

    public long Died { get; private set; }

    public long BatchesResent { get; private set; }

    public long DuplicateBatches { get; private set; }

    public long DuplicateEvents { get; private set; }

    /// <summary>Batches given up after <see cref="MaxResends"/> resends, not yet failed by the caller (who empties the list).</summary>
    public List<WorkItem> Exhausted { get; } = [];

    public WorkerEntry? Find(string key) => _workers.GetValueOrDefault(key);

    public WorkerEntry Join(string key, string name, double now)
    {
        if (_workers.TryGetValue(key, out var existing)) return existing;
        var w = new WorkerEntry(key, name, now);
        _workers[key] = w;
        Joined++;
        return w;
    }

    public void Submit(WorkItem item)
    {
        _open[item.BatchId] = item;
        _pending.AddLast(item);
    }

    /// <summary>
    /// Pairs waiting batches with workers that have credit, spreading them round robin over the workers with the most
    /// free credit, so that a fast worker (which returns credit sooner) gets more and a slow one never holds more than
    /// its credit.
    /// </summary>
    public List<(WorkerEntry Worker, WorkItem Item)> Assign()
    {
        var sends = new List<(WorkerEntry, WorkItem)>();
        if (_pending.Count == 0 || _workers.Count == 0) return sends;
        var ring = _workers.Values.ToArray();
        while (_pending.Count > 0)
        {
            WorkerEntry? best = null;
            for (var k = 0; k < ring.Length; k++)
            {
                var w = ring[(_rotation + k) % ring.Length];
                if (w.Free > 0 && (best is null || w.Free > best.Free)) best = w;
            }

            if (best is null) break;
            _rotation = (Array.IndexOf(ring, best) + 1) % ring.Length;
            var item = _pending.First!.Value;
            _pending.RemoveFirst();
            best.InFlight[item.BatchId] = item;
            item.SentTo.Add(best.Key);
            best.BatchesSent++;
            sends.Add((best, item));
        }

        return sends;
    }

    /// <summary>
    /// A RESULT for <paramref name="batchId"/> came from <paramref name="workerKey"/> (known or not): returns the item
    /// to complete, or null when the batch was answered already (a duplicate, counted).
    /// </summary>
    public WorkItem? Complete(string workerKey, ulong batchId, int eventsInReply)
    {
        if (_workers.TryGetValue(workerKey, out var w) && w.InFlight.Remove(batchId, out var held))
        {
            w.BatchesAcked++;
            w.EventsDone += held.Events;
        }

        if (_open.TryGetValue(batchId, out var item))
        {
            if (!item.SentTo.Contains(workerKey))
            {
                // Not sent there (a forged or stale answer, say from before a coordinator restart): not taken.
                Rejected++;
                return null;
            }

            // Answered: if it had been queued again (its first worker was declared dead), it need not go out.
            _open.Remove(batchId);
            _pending.Remove(item);
            Remember(batchId, item.Events);
            return item;
        }

        if (_answered.TryGetValue(batchId, out var events))
        {
            DuplicateBatches++;
            DuplicateEvents += events;
        }
        else
        {
            Rejected++;
        }

        return null;
    }

    private readonly Dictionary<ulong, int> _answered = [];
    private readonly Queue<ulong> _answeredOrder = new();

    /// <summary>Answers not taken because the batch was not sent to that worker or is unknown.</summary>
    public long Rejected { get; private set; }

    /// <summary>Keeps the last 65,536 answered batches (with their input events) to tell duplicates from strays.</summary>
    private void Remember(ulong batchId, int events)
    {
        _answered[batchId] = events;
        _answeredOrder.Enqueue(batchId);
        if (_answeredOrder.Count > 65536) _answered.Remove(_answeredOrder.Dequeue());
    }

    /// <summary>Declares dead every worker silent for longer than <paramref name="deadAfter"/> seconds.</summary>
    public List<WorkerEntry> Expire(double now, double deadAfter)
    {
        var dead = _workers.Values.Where(w => now - w.LastSeen > deadAfter).ToList();
        foreach (var w in dead) Remove(w, died: true);
        return dead;
    }

    /// <summary>
    /// The worker is gone (BYE, or declared dead): what it held and nobody answered goes out again first (or, sent too
    /// often already, to <see cref="Exhausted"/>).
    /// </summary>
    public int Remove(WorkerEntry worker, bool died)
    {
        if (!_workers.Remove(worker.Key)) return 0;
        if (died) Died++;
        else Left++;
        var requeued = 0;
        foreach (var item in worker.InFlight.Values.OrderByDescending(i => i.BatchId))
        {
            if (!_open.ContainsKey(item.BatchId)) continue;
            if (item.Resends >= MaxResends)
            {
                _open.Remove(item.BatchId);
                Exhausted.Add(item);
                continue;
            }

            item.Resends++;
            BatchesResent++;
            _pending.AddFirst(item);
            requeued++;
        }

        worker.InFlight.Clear();
        return requeued;
    }

    /// <summary>Fails every batch not answered (no worker came in time, or the coordinator stops): returns them.</summary>
    public List<WorkItem> AbandonAll()
    {
        var all = _open.Values.ToList();
        _open.Clear();
        _pending.Clear();
        foreach (var w in _workers.Values) w.InFlight.Clear();
        return all;
    }
}

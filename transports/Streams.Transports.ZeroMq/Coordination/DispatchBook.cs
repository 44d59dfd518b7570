using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// A batch handed to the worker processes: its encoding and the task its stage slot awaits. The stage slot that made
/// it owns <see cref="Batch"/> and disposes it once <see cref="Completion"/> is done (nothing sends it after that).
/// </summary>
internal sealed class WorkItem(ulong batchId, string stage, int events, EncodedBatch batch)
{
    public ulong BatchId { get; } = batchId;

    public string Stage { get; } = stage;

    public int Events { get; } = events;

    /// <summary>Header, meta and payload of the WORK message.</summary>
    public EncodedBatch Batch { get; } = batch;

    /// <summary>Workers (socket identities) it was sent to: only their answers are taken.</summary>
    public HashSet<string> SentTo { get; } = new(StringComparer.Ordinal);

    /// <summary>Times it was sent again after its worker died.</summary>
    public int Resends { get; set; }

    public TaskCompletionSource<WorkReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A worker's answer to a batch: the RESULT frames after the command.</summary>
internal sealed record WorkReply(byte[][] Frames, string Worker);

/// <summary>A worker process's place in one stage's book: its credit, threads and batches in flight for that stage.</summary>
internal sealed class WorkerSeat(string key, string name)
{
    public string Key { get; } = key;

    public string Name { get; } = name;

    /// <summary>Batches of this stage the worker process can hold at once (from its CREDIT for the stage).</summary>
    public int Credit { get; set; }

    /// <summary>Threads the worker process runs for this stage (from its CREDIT for the stage).</summary>
    public int Threads { get; set; }

    public Dictionary<ulong, WorkItem> InFlight { get; } = [];

    /// <summary>Leaving: it gets no more work and goes once it has returned what it holds.</summary>
    public bool Leaving { get; set; }

    public long BatchesSent { get; set; }

    public long BatchesAcked { get; set; }

    public long EventsDone { get; set; }

    public int Free => Leaving ? 0 : Math.Max(0, Credit - InFlight.Count);
}

/// <summary>
/// The bookkeeping of one stage placed on workers, free of sockets and clocks so that it can be tested exactly: the
/// worker processes serving the stage with their credit for it, its batches waiting and in flight, death (batches go
/// back to the front of the queue, at least once), and duplicates (a batch answered twice is counted once). Each stage
/// has its own book, so two stages on workers are dispatched and measured apart. Not thread-safe: the coordinator's
/// socket thread owns it (the counters may be read from any thread).
/// </summary>
internal sealed class DispatchBook(string stage)
{
    /// <summary>
    /// Times a batch goes out again after its worker was lost: past this it is given up (see <see cref="Exhausted"/>),
    /// so that a batch that kills or derails every worker it visits cannot go round forever.
    /// </summary>
    public const int MaxResends = 4;

    private readonly LinkedList<WorkItem> _pending = new();
    private readonly Dictionary<ulong, WorkItem> _open = [];
    private readonly Dictionary<string, WorkerSeat> _workers = new(StringComparer.Ordinal);
    private int _rotation;

    public string Stage { get; } = stage;

    /// <summary>The worker processes serving this stage.</summary>
    public IReadOnlyCollection<WorkerSeat> Workers => _workers.Values;

    /// <summary>Threads serving the stage now: those of the worker processes not leaving.</summary>
    public int Threads => _workers.Values.Where(w => !w.Leaving).Sum(w => w.Threads);

    /// <summary>The most <see cref="Threads"/> so far (as of the last <see cref="NotePeak"/>).</summary>
    public int PeakThreads { get; private set; }

    public int Pending => _pending.Count;

    public int Open => _open.Count;

    public long BatchesSent { get; private set; }

    public long BatchesAnswered { get; private set; }

    public long BatchesResent { get; private set; }

    public long DuplicateBatches { get; private set; }

    public long DuplicateEvents { get; private set; }

    /// <summary>Batches given up after <see cref="MaxResends"/> resends, not yet failed by the caller (who empties the list).</summary>
    public List<WorkItem> Exhausted { get; } = [];

    public WorkerSeat? Find(string key) => _workers.GetValueOrDefault(key);

    public WorkerSeat Join(string key, string name)
    {
        if (_workers.TryGetValue(key, out var existing)) return existing;
        var w = new WorkerSeat(key, name);
        _workers[key] = w;
        return w;
    }

    /// <summary>Records the threads now serving the stage in <see cref="PeakThreads"/>; returns them.</summary>
    public int NotePeak()
    {
        var threads = Threads;
        PeakThreads = Math.Max(PeakThreads, threads);
        return threads;
    }

    /// <summary>Whether <paramref name="batchId"/> is a batch of this stage (waiting, in flight, or answered of late).</summary>
    public bool Knows(ulong batchId) => _open.ContainsKey(batchId) || _answered.ContainsKey(batchId);

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
    public List<(WorkerSeat Worker, WorkItem Item)> Assign()
    {
        var sends = new List<(WorkerSeat, WorkItem)>();
        if (_pending.Count == 0 || _workers.Count == 0) return sends;
        var ring = _workers.Values.ToArray();
        while (_pending.Count > 0)
        {
            WorkerSeat? best = null;
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
            BatchesSent++;
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
            BatchesAnswered++;
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

    /// <summary>
    /// The worker process is gone (BYE, declared dead, expelled): what it held of this stage and nobody answered goes
    /// out again first (or, sent too often already, to <see cref="Exhausted"/>). Returns the batches queued again.
    /// </summary>
    public int Remove(string workerKey)
    {
        if (!_workers.Remove(workerKey, out var worker)) return 0;
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

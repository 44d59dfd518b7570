namespace Streams.Control.Nodes;

/// <summary>Limits <see cref="GuardedProvider"/> puts on a node provider.</summary>
public sealed record NodeGuards
{
    /// <summary>A ready node is not released before it has lived this long (it paid a boot for it).</summary>
    public double MinLifetimeSeconds { get; init; } = 60;

    /// <summary>A node that ends within this long of becoming ready "died young".</summary>
    public double YoungSeconds { get; init; } = 60;

    /// <summary>A node still booting after this long "never joined" (it is released).</summary>
    public double JoinTimeoutSeconds { get; init; } = 900;

    /// <summary>This many bad ends (died young, never joined, failed) within <see cref="BreakerWindowSeconds"/> open the breaker.</summary>
    public int BreakerFailures { get; init; } = 3;

    public double BreakerWindowSeconds { get; init; } = 600;

    /// <summary>How long an open breaker refuses requests before letting one through to test the site again.</summary>
    public double BreakerCooldownSeconds { get; init; } = 300;

    /// <summary>How long one call of the provider (sbatch, squeue, an API request) may take before it is given up (cancelled).</summary>
    public double CallTimeoutSeconds { get; init; } = 60;
}

/// <summary>
/// Wraps a node provider with what COBaLD/TARDIS users found missing: a circuit breaker that stops requesting from a
/// site whose nodes die young, fail or never join (closed -> open after <see cref="NodeGuards.BreakerFailures"/> bad ends
/// in the window; after the cooldown one request goes through, and the breaker closes when that node joins), a minimum
/// lifetime (a ready node's drain release is deferred until it has lived that long), a join timeout (a node booting
/// too long is released and counted as never joined), and a time limit on every call
/// (<see cref="NodeGuards.CallTimeoutSeconds"/>: the call is cancelled and <see cref="TimeoutException"/> thrown). Every
/// time is read from the <see cref="TimeProvider"/>. Requests refused by the breaker throw
/// <see cref="InvalidOperationException"/> with the reason. Call <see cref="ListAsync"/> regularly: it is where node
/// ends are observed.
/// </summary>
public sealed class GuardedProvider(INodeProvider inner, NodeGuards guards, TimeProvider? time = null) : INodeProvider, IDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset RequestedAt, DateTimeOffset? ReadyAt)> _seen = new(StringComparer.Ordinal);
    private readonly Queue<DateTimeOffset> _badEnds = new();
    private readonly HashSet<string> _released = new(StringComparer.Ordinal);
    private readonly HashSet<string> _recovered = new(StringComparer.Ordinal); // listed, never requested by this run
    private DateTimeOffset? _openedAt;
    private string? _probe;

    public string Name => inner.Name;

    public int CoresPerNode => inner.CoresPerNode;

    /// <summary>closed, open or half-open.</summary>
    public string Breaker
    {
        get
        {
            lock (_gate) return _openedAt is null ? "closed" : _probe is not null || Since(_openedAt.Value) >= guards.BreakerCooldownSeconds ? "half-open" : "open";
        }
    }

    public int BadEnds { get; private set; }

    public string Describe(NodeCall operation) => inner.Describe(operation);

    public async Task<string> RequestAsync(CancellationToken cancel = default)
    {
        lock (_gate)
        {
            if (_openedAt is { } opened)
            {
                if (_probe is not null) throw new InvalidOperationException($"circuit breaker half-open: waiting for test node {_probe} of {inner.Name} to join");
                var open = Since(opened);
                if (open < guards.BreakerCooldownSeconds)
                {
                    throw new InvalidOperationException(
                        $"circuit breaker open: {guards.BreakerFailures} nodes of {inner.Name} died young, failed or never joined within {guards.BreakerWindowSeconds:0} s; next try in {guards.BreakerCooldownSeconds - open:0} s");
                }
            }
        }

        var now = _time.GetUtcNow();
        var id = await Timed(NodeCall.Request, inner.RequestAsync, cancel).ConfigureAwait(false);
        lock (_gate)
        {
            _seen[id] = (now, null);
            if (_openedAt is not null) _probe = id;
        }

        return id;
    }

    public async Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default)
    {
        lock (_gate)
        {
            // Not yet: it paid a boot.
            if (drain && _seen.TryGetValue(id, out var n) && n.ReadyAt is { } ready && Since(ready) < guards.MinLifetimeSeconds) return;
        }

        await Timed(NodeCall.Release, c => Done(inner.ReleaseAsync(id, drain, c)), cancel).ConfigureAwait(false);
        lock (_gate) _released.Add(id);
    }

    public async Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancel = default)
    {
        var list = await Timed(NodeCall.List, inner.ListAsync, cancel).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var overdue = new List<string>();
        lock (_gate)
        {
            foreach (var node in list)
            {
                if (!_seen.TryGetValue(node.Id, out var n))
                {
                    _seen[node.Id] = n = (now, null); // found again (e.g. after a restart)
                    _recovered.Add(node.Id);
                }

                switch (node.State)
                {
                    case NodeState.Ready when n.ReadyAt is null:
                        _seen[node.Id] = (n.RequestedAt, now);
                        if (node.Id == _probe)
                        {
                            _probe = null;
                            _openedAt = null; // the site works again
                            _badEnds.Clear();
                        }

                        break;
                    case NodeState.Booting when (now - n.RequestedAt).TotalSeconds > guards.JoinTimeoutSeconds:
                        overdue.Add(node.Id);
                        Ended(node.Id, bad: true, now);
                        break;
                    case NodeState.Gone or NodeState.Failed:
                        // Released by us (cancelled while booting, or drained) is no fault of the site; nor is the end of a node
                        // an earlier run asked for (a restarted coordinator finds its jobs again): its life is unknown here.
                        var ours = _released.Remove(node.Id);
                        var inherited = _recovered.Remove(node.Id);
                        Ended(node.Id, !inherited && (node.State == NodeState.Failed || (!ours && (n.ReadyAt is null || (now - n.ReadyAt.Value).TotalSeconds < guards.YoungSeconds))), now);
                        break;
                }
            }
        }

        foreach (var id in overdue) await Timed(NodeCall.Release, c => Done(inner.ReleaseAsync(id, drain: false, c)), cancel).ConfigureAwait(false);
        return list;
    }

    /// <summary>Runs one call of the inner provider under the call time limit; a call that overruns is cancelled.</summary>
    private async Task<T> Timed<T>(NodeCall call, Func<CancellationToken, Task<T>> run, CancellationToken cancel)
    {
        var limit = TimeSpan.FromSeconds(guards.CallTimeoutSeconds);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var task = run(linked.Token);
        try
        {
            return await task.WaitAsync(limit, _time, cancel).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await linked.CancelAsync().ConfigureAwait(false);
            _ = task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw new TimeoutException($"node provider {inner.Name}: {inner.Describe(call)} did not answer within {guards.CallTimeoutSeconds:0} s (cancelled)");
        }
    }

    private static async Task<bool> Done(Task task)
    {
        await task.ConfigureAwait(false);
        return true;
    }

    private double Since(DateTimeOffset t) => (_time.GetUtcNow() - t).TotalSeconds;

    /// <summary>A node is gone: forget it, and count a bad end against the site.</summary>
    private void Ended(string id, bool bad, DateTimeOffset now)
    {
        if (!_seen.Remove(id)) return;
        if (id == _probe)
        {
            _probe = null;
            _openedAt = now; // the test node failed too: stay open for another cooldown
        }

        if (!bad) return;
        BadEnds++;
        _badEnds.Enqueue(now);
        while (_badEnds.Count > 0 && (now - _badEnds.Peek()).TotalSeconds > guards.BreakerWindowSeconds) _badEnds.Dequeue();
        if (_badEnds.Count >= guards.BreakerFailures && _openedAt is null) _openedAt = now;
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();
}

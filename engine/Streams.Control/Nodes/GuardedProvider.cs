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
}

/// <summary>
/// Wraps a node provider with what COBaLD/TARDIS users found missing: a circuit breaker that stops requesting from a
/// site whose nodes die young, fail or never join (closed -> open after <see cref="NodeGuards.BreakerFailures"/> bad ends
/// in the window; after the cooldown one request goes through, and the breaker closes when that node joins), a minimum
/// lifetime (a ready node's drain release is deferred until it has lived that long), and a join timeout (a node booting
/// too long is released and counted as never joined). Requests refused by the breaker throw
/// <see cref="InvalidOperationException"/> with the reason. Call <see cref="INodeProvider.List"/> regularly: it is where
/// node ends are observed.
/// </summary>
public sealed class GuardedProvider(INodeProvider inner, NodeGuards guards, Func<double>? clock = null) : INodeProvider, IDisposable
{
    private readonly Func<double> _now = clock ?? (() => Environment.TickCount64 / 1000.0);
    private readonly Dictionary<string, (double RequestedAt, double? ReadyAt)> _seen = new(StringComparer.Ordinal);
    private readonly Queue<double> _badEnds = new();
    private readonly HashSet<string> _released = new(StringComparer.Ordinal);
    private readonly HashSet<string> _recovered = new(StringComparer.Ordinal); // listed, never requested by this run
    private double? _openedAt;
    private string? _probe;

    public string Name => inner.Name;

    public int CoresPerNode => inner.CoresPerNode;

    /// <summary>closed, open or half-open.</summary>
    public string Breaker => _openedAt is null ? "closed" : _probe is not null || _now() - _openedAt >= guards.BreakerCooldownSeconds ? "half-open" : "open";

    public int BadEnds { get; private set; }

    public string Request()
    {
        var now = _now();
        if (_openedAt is { } opened)
        {
            if (_probe is not null) throw new InvalidOperationException($"circuit breaker half-open: waiting for test node {_probe} of {inner.Name} to join");
            if (now - opened < guards.BreakerCooldownSeconds)
            {
                throw new InvalidOperationException(
                    $"circuit breaker open: {guards.BreakerFailures} nodes of {inner.Name} died young, failed or never joined within {guards.BreakerWindowSeconds:0} s; next try in {guards.BreakerCooldownSeconds - (now - opened):0} s");
            }
        }

        var id = inner.Request();
        _seen[id] = (now, null);
        if (_openedAt is not null) _probe = id;
        return id;
    }

    public void Release(string id, bool drain)
    {
        if (drain && _seen.TryGetValue(id, out var n) && n.ReadyAt is { } ready && _now() - ready < guards.MinLifetimeSeconds) return; // not yet: it paid a boot
        inner.Release(id, drain);
        _released.Add(id);
    }

    public IReadOnlyList<NodeInfo> List()
    {
        var now = _now();
        var list = inner.List();
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
                case NodeState.Booting when now - n.RequestedAt > guards.JoinTimeoutSeconds:
                    inner.Release(node.Id, drain: false);
                    Ended(node.Id, bad: true, now);
                    break;
                case NodeState.Gone or NodeState.Failed:
                    // Released by us (cancelled while booting, or drained) is no fault of the site; nor is the end of a node
                    // an earlier run asked for (a restarted coordinator finds its jobs again): its life is unknown here.
                    var ours = _released.Remove(node.Id);
                    var inherited = _recovered.Remove(node.Id);
                    Ended(node.Id, !inherited && (node.State == NodeState.Failed || (!ours && (n.ReadyAt is null || now - n.ReadyAt < guards.YoungSeconds))), now);
                    break;
            }
        }

        return list;
    }

    /// <summary>A node is gone: forget it, and count a bad end against the site.</summary>
    private void Ended(string id, bool bad, double now)
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
        while (_badEnds.Count > 0 && now - _badEnds.Peek() > guards.BreakerWindowSeconds) _badEnds.Dequeue();
        if (_badEnds.Count >= guards.BreakerFailures && _openedAt is null) _openedAt = now;
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();
}

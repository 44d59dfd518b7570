using System.Collections.Frozen;
using System.Net;
using Streams.LoadBalancer.Balancing;
using Streams.LoadBalancer.Forwarding;

namespace Streams.LoadBalancer.Instances;

/// <summary>How the control loop treats members (udplbd's defaults).</summary>
internal sealed record ControlLoopOptions
{
    /// <summary>A member whose last state is older than this gets no slots.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A member silent this long is deleted (its session ends).</summary>
    public TimeSpan DeleteAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How far ahead of the senders a new calendar's boundary is placed.</summary>
    public TimeSpan BoundaryLead { get; init; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>
/// One reserved load balancer: its senders, its members (sessions), the epochs in force and the calendar-making
/// control step (PROTOCOLS.md section 7). Every change ends in a new <see cref="ForwardingTable"/> published to its data
/// plane. Thread-safe (one lock; control-plane calls are rare next to datagrams, which never take it).
/// </summary>
internal sealed class LbInstance
{
    private readonly Lock _lock = new();
    private readonly ControlLoopOptions _options;
    private readonly Random _random;
    private readonly HashSet<IPAddress> _senders = [];
    private readonly Dictionary<long, Session> _sessions = [];
    private readonly List<Session?> _members = []; // by member index: the session a calendar's slot names
    private readonly BoundaryPredictor _predictor = new();
    private readonly List<Session> _ended = []; // for the books: sessions that ended, with their last state
    private readonly Dictionary<(IPAddress Source, uint SourceId), SyncSource> _syncSources = [];
    private List<Epoch> _epochs = [];
    private int[] _shares = [];
    private long _nextSession = 1;
    private ulong _epochNumber;
    private bool _boundaryPassed;

    public LbInstance(string id, string name, string token, SlotStrategy strategy, DateTimeOffset? until, ControlLoopOptions options, int seed)
    {
        Id = id;
        Name = name;
        Token = token;
        Strategy = strategy;
        Until = until;
        _options = options;
        _random = new Random(seed);
    }

    public string Id { get; }

    public string Name { get; }

    public string Token { get; }

    public SlotStrategy Strategy { get; }

    public DateTimeOffset? Until { get; }

    /// <summary>What the data plane reads; swapped whole after every change.</summary>
    public ForwardingTableSlot Table { get; } = new();

    public ulong CurrentEpoch
    {
        get
        {
            lock (_lock) return _epochNumber;
        }
    }

    /// <summary>Sessions ended because they were silent too long (they had not deregistered).</summary>
    public long SessionsExpired { get; private set; }

    public IReadOnlyList<IPAddress> Senders
    {
        get
        {
            lock (_lock) return [.. _senders];
        }
    }

    public void AddSenders(IEnumerable<IPAddress> senders)
    {
        lock (_lock)
        {
            foreach (var s in senders) _senders.Add(Canonical(s));
            PublishLocked();
        }
    }

    public void RemoveSenders(IEnumerable<IPAddress> senders)
    {
        lock (_lock)
        {
            foreach (var s in senders) _senders.Remove(Canonical(s));
            PublishLocked();
        }
    }

    /// <summary>A new member; it gets slots once it has said it is ready.</summary>
    public Session Register(string name, double weight, IPAddress address, int basePort, int portRangeBits, double minFactor, double maxFactor, bool keepLbHeader, DateTimeOffset now)
    {
        lock (_lock)
        {
            var index = _members.IndexOf(null);
            if (index < 0)
            {
                index = _members.Count;
                _members.Add(null);
            }

            var session = new Session
            {
                Id = _nextSession++,
                Token = Tokens.New(),
                Name = name,
                Member = index,
                Address = Canonical(address),
                BasePort = basePort,
                PortRangeBits = portRangeBits,
                MinFactor = minFactor,
                MaxFactor = maxFactor,
                KeepLbHeader = keepLbHeader,
                RegisteredAt = now,
                RegisteredWeight = weight > 0 ? weight : 1,
            };
            _members[index] = session;
            _sessions.Add(session.Id, session);
            PublishLocked();
            return session;
        }
    }

    public Session? Find(long sessionId)
    {
        lock (_lock) return _sessions.GetValueOrDefault(sessionId);
    }

    public IReadOnlyList<Session> Sessions
    {
        get
        {
            lock (_lock) return [.. _sessions.Values.OrderBy(s => s.Id)];
        }
    }

    /// <summary>
    /// Records a SendState; false when the session is unknown (deleted, or never was). A member's first ready state
    /// deals the slots at once (not at the next second): a newcomer takes its share, and the first member of an
    /// instance gets the first calendar before the senders' datagrams find none.
    /// </summary>
    public bool Report(long sessionId, MemberReport report, ulong lastTick)
    {
        lock (_lock)
        {
            if (!_sessions.TryGetValue(sessionId, out var s)) return false;
            var wasReady = s.LastReport is { IsReady: true };
            s.LastReport = report;
            // A first ready state, and a member saying it is no longer ready (it drains), re-deal at once.
            if ((!s.Seated && report.IsReady) || (wasReady && !report.IsReady)) StepLocked(report.At, lastTick, force: true);
            return true;
        }
    }

    /// <summary>
    /// The member leaves: a new calendar without it takes effect at the next predicted boundary (at once, not at the next
    /// second), and its address stays known until no calendar in force names it.
    /// </summary>
    public bool Deregister(long sessionId, DateTimeOffset now, ulong lastTick)
    {
        lock (_lock)
        {
            if (!_sessions.Remove(sessionId, out var s)) return false;
            s.Leaving = true;
            End(s, "deregistered", now);
            StepLocked(now, lastTick, force: true);
            return true;
        }
    }

    /// <summary>A Sync packet from <paramref name="source"/>: for the boundary prediction, and for the books (events each sender sent).</summary>
    public void AddSync(DateTimeOffset at, ulong eventNumber, double rateHz, IPAddress? source = null, uint sourceId = 0)
    {
        lock (_lock)
        {
            _predictor.AddSync(at, eventNumber, rateHz);
            if (source is null) return;
            var key = (Canonical(source), sourceId);
            if (!_syncSources.TryGetValue(key, out var known) || eventNumber < known.Last) known = new SyncSource(key.Item1, sourceId, eventNumber, eventNumber, 0, at);
            _syncSources[key] = known with { Last = eventNumber, Packets = known.Packets + 1, LastAt = at, RateHz = rateHz };
        }
    }

    /// <summary>What each sender's Sync packets said: the first and last event numbers of its current stream.</summary>
    public IReadOnlyList<SyncSource> SyncSources
    {
        get
        {
            lock (_lock) return [.. _syncSources.Values];
        }
    }

    /// <summary>Sessions that ended (deregistered or expired), with their last state, oldest first.</summary>
    public IReadOnlyList<Session> EndedSessions
    {
        get
        {
            lock (_lock) return [.. _ended];
        }
    }

    private void End(Session s, string how, DateTimeOffset at)
    {
        s.Ended = how;
        s.EndedAt = at;
        _ended.Add(s);
        if (_ended.Count > 10_000) _ended.RemoveAt(0); // bounded: a long-lived instance with churning members
    }

    public double? PredictTick(DateTimeOffset at)
    {
        lock (_lock) return _predictor.Predict(at);
    }

    /// <summary>
    /// One step of the control loop (udplbd: once a second): silent sessions are deleted, stale ones get no slots, the
    /// weights move by the control signals, and when the shares change a new calendar is installed at the predicted
    /// boundary. <paramref name="lastTick"/> is the newest tick the data plane forwarded.
    /// </summary>
    public void Step(DateTimeOffset now, ulong lastTick)
    {
        lock (_lock) StepLocked(now, lastTick, force: false);
    }

    private void StepLocked(DateTimeOffset now, ulong lastTick, bool force)
    {
        _predictor.AddSeen(now, lastTick);
        foreach (var s in _sessions.Values.Where(s => now - s.LastHeard > _options.DeleteAfter).ToList())
        {
            _sessions.Remove(s.Id);
            s.Leaving = true;
            End(s, "expired", now);
            SessionsExpired++;
        }

        // A member ready for the first time starts at its registered weight times the mean of its ready peers (1000 when
        // alone): the weights of members that have been in the loop for a while are on a scale of mean 1000, and a
        // newcomer at weight 1 would otherwise get no slots for minutes.
        var seated = _members.Where(m => m is { Seated: true } && m.IsReady(now, _options.StaleAfter)).Select(m => m!.Weight).ToList();
        var scale = seated.Count > 0 ? seated.Average() : 1000;
        foreach (var m in _members)
        {
            if (m is { Seated: false } && m.IsReady(now, _options.StaleAfter))
            {
                m.Weight = m.RegisteredWeight * scale;
                m.Seated = true;
            }
        }

        var states = new MemberState[_members.Count];
        for (var i = 0; i < states.Length; i++)
        {
            var s = _members[i];
            states[i] = s is null
                ? new MemberState(1, 0, 0, 0, false)
                : new MemberState(s.Weight, s.LastReport?.ControlSignal ?? 0, s.MinFactor, s.MaxFactor, s.IsReady(now, _options.StaleAfter));
        }

        // A forced step (a member left) re-deals the slots without moving the weights: that is the once-a-second loop's job.
        var weights = SlotAllocator.NextWeights(states, force ? SlotStrategy.Static : Strategy);
        for (var i = 0; i < states.Length; i++)
        {
            if (states[i].Ready && _members[i] is { } s) s.Weight = weights[i];
        }

        // Once the senders have been past the newest boundary for a whole step, the calendars before it are retired (the
        // newest then covers every tick): no event in flight can still need them.
        if (_epochs.Count > 1 && lastTick >= _epochs[^1].FromTick)
        {
            if (_boundaryPassed) _epochs = [_epochs[^1] with { FromTick = 0 }];
            _boundaryPassed = !_boundaryPassed;
        }

        var shares = SlotAllocator.Shares(states, weights);
        if (!shares.Any(x => x > 0))
        {
            // No member ready while some still have sessions (late states from a starved node, say): the slots go to
            // those, since sending to a slow member loses less than dropping everything. Members that left, or whose
            // sessions ended, get none.
            var alive = states.Select((m, i) => m with { Ready = _members[i] is { Leaving: false } }).ToArray();
            shares = SlotAllocator.Shares(alive, weights);
        }

        if (force || !shares.AsSpan().SequenceEqual(_shares))
        {
            if (shares.Any(x => x > 0) || _epochs.Count > 0)
            {
                var from = _epochs.Count == 0 ? 0 : _predictor.Boundary(now, _options.BoundaryLead, lastTick);
                var next = new Epoch(++_epochNumber, from, SlotAllocator.Calendar(shares, _random));
                // The calendar before the boundary covers every earlier tick (a sender that restarted from event 0 still
                // meets a calendar; the next step places a boundary past its ticks).
                var kept = DataPlane.Install(_epochs, next).ToList();
                if (kept.Count > 1 && kept[0].FromTick != 0) kept[0] = kept[0] with { FromTick = 0 };
                _epochs = kept;
                _boundaryPassed = false;
            }

            _shares = shares;
            for (var i = 0; i < _members.Count; i++)
            {
                if (_members[i] is { } s) s.Slots = i < shares.Length ? shares[i] : 0;
            }
        }

        // A member index is free again once no calendar in force names it and its session has ended.
        for (var i = 0; i < _members.Count; i++)
        {
            if (_members[i] is { Leaving: true } && !_epochs.Any(e => Array.IndexOf(e.Calendar, i) >= 0)) _members[i] = null;
        }

        PublishLocked();
    }

    private void PublishLocked()
    {
        var members = new MemberAddress[_members.Count];
        var counters = new MemberCounters[_members.Count];
        for (var i = 0; i < members.Length; i++)
        {
            var s = _members[i];
            members[i] = s is null ? new MemberAddress(i, IPAddress.None, 0, 0, false) : new MemberAddress(i, s.Address, s.BasePort, s.PortRangeBits, s.KeepLbHeader);
            counters[i] = s?.Counters ?? new MemberCounters();
        }

        Table.Publish(new ForwardingTable(_epochs, members, counters, _senders.ToFrozenSet()));
    }

    private static IPAddress Canonical(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}

/// <summary>One sender's stream as its Sync packets tell it (events first..last: last - first + 1 when numbered without gaps).</summary>
internal sealed record SyncSource(IPAddress Source, uint SourceId, ulong First, ulong Last, long Packets, DateTimeOffset LastAt, double RateHz = 0);

/// <summary>Bearer tokens: 128 random bits as hex.</summary>
internal static class Tokens
{
    public static string New() => System.Security.Cryptography.RandomNumberGenerator.GetHexString(32, lowercase: true);
}

namespace Streams.LoadBalancer.Balancing;

/// <summary>A registered receiver (a load balancer member) as the control loop sees it.</summary>
/// <param name="Weight">Its weight (udplbd starts a member at its registered weight; the loop adds its control signal).</param>
/// <param name="ControlSignal">The PID control signal of its last SendState.</param>
/// <param name="MinFactor">Least share of the slots, as a multiple of the fair share 512/N.</param>
/// <param name="MaxFactor">Most share, as a multiple of the fair share (0: no maximum).</param>
/// <param name="Ready">It sent a state within the last 2 s and said it is ready: only ready members get slots.</param>
internal readonly record struct MemberState(double Weight, double ControlSignal, double MinFactor, double MaxFactor, bool Ready);

/// <summary>How a load balancer instance assigns its slots (the Reserve request's strategy).</summary>
internal enum SlotStrategy
{
    /// <summary>Weights follow the members' control signals, once a second (udplbd's default, '' or 'dynamic').</summary>
    Dynamic,

    /// <summary>Weights stay as registered: control signals are ignored ('static').</summary>
    Static,
}

/// <summary>
/// udplbd's control loop, once per second (PROTOCOLS.md section 7): each ready member's weight grows by its control
/// signal (dynamic strategy), the weights are rescaled to a mean of 1000, each member gets round(512 w / sum w) slots,
/// clamped to [minFactor, maxFactor] x 512/N, the slots left over (or missing) after rounding and clamping are dealt
/// one at a time to the members furthest below (above) their exact share within their bounds, and the calendar is
/// shuffled so that a member's slots are spread over the slot space. Pure: the caller keeps the weights.
/// </summary>
internal static class SlotAllocator
{
    /// <summary>Slots of one epoch's calendar (the slot is the low 9 bits of the slot select).</summary>
    public const int Slots = 512;

    /// <summary>The weights after one step of the loop (not-ready members keep theirs); mean 1000 over the ready ones.</summary>
    public static double[] NextWeights(IReadOnlyList<MemberState> members, SlotStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(members);
        var w = new double[members.Count];
        for (var i = 0; i < w.Length; i++)
        {
            var m = members[i];
            w[i] = m.Ready && strategy == SlotStrategy.Dynamic ? Math.Max(1e-6, m.Weight + m.ControlSignal) : Math.Max(1e-6, m.Weight);
        }

        var ready = Enumerable.Range(0, w.Length).Where(i => members[i].Ready).ToList();
        if (ready.Count == 0) return w;
        Rescale(w, ready);
        // A floor of 10% of the mean: the weights integrate the signals and are rescaled multiplicatively, so a member
        // driven to ~0 while it was full would stay at ~0 (no slots) long after its queue emptied, while the others
        // overflow; from the floor it keeps a few slots and climbs back by the others' signals (about 15% a second at
        // the node pipelines' limit of 200).
        foreach (var i in ready) w[i] = Math.Max(w[i], WeightFloor);
        Rescale(w, ready);
        return w;
    }

    /// <summary>The least weight a ready member keeps, on the scale of mean 1000 (10%: a member gets at least about a tenth of a fair share).</summary>
    public const double WeightFloor = 100;

    private static void Rescale(double[] w, List<int> ready)
    {
        var mean = ready.Average(i => w[i]);
        foreach (var i in ready) w[i] = w[i] * 1000 / mean;
    }

    /// <summary>How many slots each member gets for <paramref name="weights"/> (0 for members not ready); they add up to 512 when any is ready.</summary>
    public static int[] Shares(IReadOnlyList<MemberState> members, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(weights);
        var n = members.Count;
        var shares = new int[n];
        var ready = Enumerable.Range(0, n).Where(i => members[i].Ready).ToArray();
        if (ready.Length == 0) return shares;
        var fair = (double)Slots / ready.Length;
        var sum = ready.Sum(i => weights[i]);
        var exact = new double[n];
        var low = new int[n];
        var high = new int[n];
        foreach (var i in ready)
        {
            var m = members[i];
            low[i] = (int)Math.Ceiling(Math.Max(0, m.MinFactor) * fair - 1e-9);
            high[i] = m.MaxFactor > 0 ? Math.Max(low[i], (int)Math.Floor((m.MaxFactor * fair) + 1e-9)) : Slots;
            exact[i] = Slots * weights[i] / sum;
            shares[i] = Math.Clamp((int)Math.Round(exact[i]), low[i], high[i]);
        }

        // Deal what rounding and clamping left over (or took too much), one slot at a time, within each member's bounds;
        // when the bounds cannot all be met (every member capped below its fair share, say), past them: no slot is left
        // without a member while any is ready.
        var total = ready.Sum(i => shares[i]);
        while (total != Slots)
        {
            var up = total < Slots;
            var pick = Pick(ready, shares, exact, up, i => up ? shares[i] < high[i] : shares[i] > low[i]);
            if (pick < 0) pick = Pick(ready, shares, exact, up, i => up || shares[i] > 0);
            shares[pick] += up ? 1 : -1;
            total += up ? 1 : -1;
        }

        return shares;
    }

    /// <summary>The member furthest below (<paramref name="up"/>) or above its exact share among those <paramref name="may"/> allows; -1 when none.</summary>
    private static int Pick(int[] ready, int[] shares, double[] exact, bool up, Func<int, bool> may)
    {
        var pick = -1;
        foreach (var i in ready)
        {
            if (!may(i)) continue;
            var gap = exact[i] - shares[i];
            if (pick < 0 || (up ? gap > exact[pick] - shares[pick] : gap < exact[pick] - shares[pick])) pick = i;
        }

        return pick;
    }

    /// <summary>
    /// A calendar of 512 slots, each naming a member index (-1: no member, when none is ready), with each member's
    /// share of slots spread over it in an order drawn from <paramref name="random"/>.
    /// </summary>
    public static int[] Calendar(IReadOnlyList<int> shares, Random random)
    {
        ArgumentNullException.ThrowIfNull(shares);
        ArgumentNullException.ThrowIfNull(random);
        var calendar = new int[Slots];
        Array.Fill(calendar, -1);
        var at = 0;
        for (var i = 0; i < shares.Count; i++)
        {
            for (var k = 0; k < shares[i] && at < Slots; k++) calendar[at++] = i;
        }

        random.Shuffle(calendar.AsSpan(0, at));
        return calendar;
    }
}

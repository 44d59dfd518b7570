namespace Streams.LoadBalancer.Instances;

/// <summary>
/// Predicts the tick the senders will have reached at a future time, to place an epoch boundary where no event is in
/// flight (PROTOCOLS.md section 7): from the newest Sync packets' (event number, time) samples, at the rate of the
/// newest interval between them (the rate a sample carries with only one), and, without Sync packets, from the ticks the data
/// plane saw at the last control steps. A sample whose event number falls below the previous one means the stream
/// restarted: the older samples are forgotten. The boundary is never at or below a tick already seen, so an event
/// whose datagrams are being forwarded keeps its calendar.
/// </summary>
internal sealed class BoundaryPredictor(TimeSpan window)
{
    private readonly List<(double T, double Tick, double Rate)> _sync = [];
    private readonly List<(double T, double Tick)> _seen = [];

    public BoundaryPredictor()
        : this(TimeSpan.FromMinutes(1))
    {
    }

    public int SyncSamples => _sync.Count;

    /// <summary>A Sync packet: the sender had reached <paramref name="eventNumber"/> at <paramref name="at"/>, sending <paramref name="rateHz"/> events/s.</summary>
    public void AddSync(DateTimeOffset at, ulong eventNumber, double rateHz)
    {
        if (_sync.Count > 0 && eventNumber < _sync[^1].Tick) _sync.Clear();
        _sync.Add((Seconds(at), eventNumber, rateHz));
        Trim(_sync, Seconds(at), s => s.T);
    }

    /// <summary>What the data plane reported at a control step: the latest tick it forwarded.</summary>
    public void AddSeen(DateTimeOffset at, ulong lastTick)
    {
        if (_seen.Count > 0 && lastTick < _seen[^1].Tick) _seen.Clear();
        _seen.Add((Seconds(at), lastTick));
        Trim(_seen, Seconds(at), s => s.T);
    }

    /// <summary>The predicted tick at <paramref name="at"/>, or null with nothing to go on.</summary>
    public double? Predict(DateTimeOffset at)
    {
        var t = Seconds(at);
        // The rate of the newest interval between Sync packets, from the newest one on: a sender whose rate just fell
        // (a DAQ stepping down) would otherwise be predicted far ahead by a fit over the minute, and a member that
        // leaves would keep its slots for as many seconds.
        if (_sync.Count >= 2 && _sync[^1].T > _sync[^2].T)
        {
            var (t1, k1, _) = _sync[^1];
            var (t0, k0, _) = _sync[^2];
            return k1 + ((k1 - k0) / (t1 - t0) * (t - t1));
        }

        if (_sync.Count == 1) return _sync[0].Tick + (_sync[0].Rate * (t - _sync[0].T));
        if (_seen.Count >= 2 && Fit(_seen) is var (c, d)) return c + (Math.Max(0, d) * t);
        return _seen.Count == 1 ? _seen[0].Tick : null;
    }

    /// <summary>
    /// The first tick of a calendar made at <paramref name="now"/>: where the senders will be <paramref name="lead"/>
    /// later, and in any case past <paramref name="lastTick"/> (the newest tick forwarded).
    /// </summary>
    public ulong Boundary(DateTimeOffset now, TimeSpan lead, ulong lastTick)
    {
        var predicted = Predict(now + lead) ?? 0;
        var floor = (double)lastTick + 1;
        return predicted > floor && predicted < ulong.MaxValue / 2 ? (ulong)predicted : (ulong)floor;
    }

    /// <summary>Least squares tick = a + b t (null when all samples share one time).</summary>
    private static (double A, double B)? Fit(List<(double T, double Tick)> s)
    {
        var n = s.Count;
        var mt = s.Average(p => p.T);
        var mk = s.Average(p => p.Tick);
        double sxx = 0, sxy = 0;
        foreach (var (t, k) in s)
        {
            sxx += (t - mt) * (t - mt);
            sxy += (t - mt) * (k - mk);
        }

        if (n < 2 || sxx <= 0) return null;
        var b = sxy / sxx;
        return (mk - (b * mt), b);
    }

    private void Trim<T>(List<T> list, double now, Func<T, double> time)
    {
        var oldest = now - window.TotalSeconds;
        list.RemoveAll(x => time(x) < oldest);
    }

    private static double Seconds(DateTimeOffset t) => t.ToUnixTimeMilliseconds() / 1000.0;
}

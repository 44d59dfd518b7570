namespace Streams.Control.Laws;

/// <summary>
/// Remembers the arrival rate (10 s buckets, up to four longest periods) and finds a repeating pattern in it: the lag
/// between 5 minutes and <see cref="MaxPeriodSeconds"/> with the highest autocorrelation, accepted only when it is at
/// least 0.6 and the autocorrelation dipped at least 0.5 below it at a shorter lag (a true cycle, not a slow trend or
/// a single step, whose autocorrelation only falls with the lag) and at least two cycles were seen. With a period P,
/// <see cref="Anticipate"/> gives the highest rate seen one period before the coming window: capacity that takes a boot
/// to arrive can then be asked for before a recurring burst, not after it starts.
/// </summary>
public sealed class SeasonalMemory(double maxPeriodSeconds = 3600, double bucketSeconds = 10)
{
    private readonly List<double> _buckets = [];
    private double _bucketStart = double.NaN;
    private double _sum;
    private int _count;
    private double _lastSearch = double.NegativeInfinity;

    public double MaxPeriodSeconds { get; } = maxPeriodSeconds;

    /// <summary>The detected period in seconds, or null.</summary>
    public double? Period { get; private set; }

    public void Add(double time, double rate)
    {
        if (double.IsNaN(_bucketStart)) _bucketStart = time;
        while (time >= _bucketStart + bucketSeconds)
        {
            _buckets.Add(_count > 0 ? _sum / _count : _buckets.Count > 0 ? _buckets[^1] : rate);
            (_sum, _count) = (0, 0);
            _bucketStart += bucketSeconds;
        }

        _sum += rate;
        _count++;
        var keep = (int)(4 * MaxPeriodSeconds / bucketSeconds);
        if (_buckets.Count > keep) _buckets.RemoveRange(0, _buckets.Count - keep);
        if (time - _lastSearch >= 60)
        {
            _lastSearch = time;
            Search();
        }
    }

    /// <summary>The highest rate seen in [now + from - P, now + to - P] (seconds ahead of now), or null without a period.</summary>
    public double? Anticipate(double time, double from, double to)
    {
        if (Period is not { } p || _buckets.Count == 0) return null;
        var nowIndex = (time - _bucketStart) / bucketSeconds + _buckets.Count; // index of "now" on the bucket scale
        var a = (int)Math.Floor(nowIndex + ((from - p) / bucketSeconds));
        var b = (int)Math.Ceiling(nowIndex + ((to - p) / bucketSeconds));
        double? best = null;
        for (var i = Math.Max(0, a); i <= Math.Min(_buckets.Count - 1, b); i++) best = Math.Max(best ?? 0, _buckets[i]);
        return best;
    }

    private void Search()
    {
        var n = _buckets.Count;
        var minLag = (int)(300 / bucketSeconds);
        var maxLag = Math.Min((int)(MaxPeriodSeconds / bucketSeconds), n - (int)(600 / bucketSeconds)); // at least 10 min of overlap
        Period = null;
        if (maxLag < minLag) return;
        var mean = _buckets.Average();
        var variance = _buckets.Sum(v => (v - mean) * (v - mean)) / n;
        if (variance <= 1e-12) return;
        double Acf(int lag)
        {
            double s = 0;
            for (var i = lag; i < n; i++) s += (_buckets[i] - mean) * (_buckets[i - lag] - mean);
            return s / ((n - lag) * variance);
        }

        var acf = new double[maxLag + 1];
        for (var lag = 1; lag <= maxLag; lag++) acf[lag] = Acf(lag);
        var best = minLag;
        for (var lag = minLag; lag <= maxLag; lag++)
        {
            if (acf[lag] > acf[best]) best = lag;
        }

        var dip = Enumerable.Range(1, best - 1).Select(l => acf[l]).DefaultIfEmpty(1).Min();
        if (acf[best] >= 0.6 && acf[best] - dip >= 0.5) Period = best * bucketSeconds;
    }
}

namespace Streams.Reporting.Report;

/// <summary>A moment of the run worth marking on the time axis (a controller decision), with what was decided and why.</summary>
public sealed record TimelineMark(double Seconds, string Stage, string Text);

/// <summary>
/// What a run did over time, for the report: one row of values per sample (seconds since the start), in named
/// series grouped by panel ("events/s", "queue depth", ...), and marks. Bounded: past <see cref="MaxSamples"/> rows
/// every other row is dropped and later samples are taken at half the rate, so a run of days keeps the same shape in
/// the same memory. Thread-safe (the sampler and the log write from their own threads).
/// </summary>
public sealed class RunTimeline
{
    /// <summary>Marks kept (the first ones: a controller that flaps is summarised by the rest of the report).</summary>
    public const int MaxMarks = 500;

    private readonly Lock _gate = new();
    private readonly List<double> _seconds = [];
    private readonly Dictionary<(string Panel, string Label), List<double>> _series = [];
    private readonly List<(string Panel, string Label)> _order = [];
    private readonly List<TimelineMark> _marks = [];
    private int _stride = 1;
    private long _offered;

    public RunTimeline(int maxSamples = 2000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSamples, 4);
        MaxSamples = maxSamples;
    }

    public int MaxSamples { get; }

    /// <summary>Marks that did not fit in <see cref="MaxMarks"/>.</summary>
    public int MarksDropped { get; private set; }

    /// <summary>Adds one sample at <paramref name="seconds"/>; a series missing from it gets no point there (NaN).</summary>
    public void Sample(double seconds, IEnumerable<(string Panel, string Label, double Value)> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        lock (_gate)
        {
            if (_offered++ % _stride != 0) return;
            _seconds.Add(seconds);
            foreach (var (panel, label, value) in values)
            {
                if (!_series.TryGetValue((panel, label), out var list))
                {
                    _series[(panel, label)] = list = [];
                    _order.Add((panel, label));
                }

                while (list.Count < _seconds.Count - 1) list.Add(double.NaN);
                if (list.Count < _seconds.Count) list.Add(value);
            }

            if (_seconds.Count > MaxSamples) Halve();
        }
    }

    /// <summary>Marks <paramref name="seconds"/> with what <paramref name="stage"/>'s controller decided.</summary>
    public void Mark(double seconds, string stage, string text)
    {
        lock (_gate)
        {
            if (_marks.Count >= MaxMarks) MarksDropped++;
            else _marks.Add(new TimelineMark(seconds, stage, text));
        }
    }

    /// <summary>Seconds of each row.</summary>
    public IReadOnlyList<double> Seconds
    {
        get
        {
            lock (_gate) return [.. _seconds];
        }
    }

    public IReadOnlyList<TimelineMark> Marks
    {
        get
        {
            lock (_gate) return [.. _marks];
        }
    }

    /// <summary>Panels in the order first seen.</summary>
    public IReadOnlyList<string> Panels
    {
        get
        {
            lock (_gate) return [.. _order.Select(k => k.Panel).Distinct()];
        }
    }

    /// <summary>The series of <paramref name="panel"/>: label and one value per row (NaN: no point).</summary>
    public IReadOnlyList<(string Label, double[] Values)> Series(string panel)
    {
        lock (_gate)
        {
            return [.. _order.Where(k => k.Panel == panel).Select(k =>
            {
                var values = new double[_seconds.Count];
                var list = _series[k];
                for (var i = 0; i < values.Length; i++) values[i] = i < list.Count ? list[i] : double.NaN;
                return (k.Label, values);
            })];
        }
    }

    private void Halve()
    {
        Keep(_seconds);
        foreach (var list in _series.Values) Keep(list);
        _stride *= 2;
        _offered = 0; // the next accepted sample is _stride samples after the last kept one
        static void Keep(List<double> list)
        {
            var n = 0;
            for (var i = 0; i < list.Count; i += 2) list[n++] = list[i];
            list.RemoveRange(n, list.Count - n);
        }
    }
}

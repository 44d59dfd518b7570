namespace Streams.Engine.Runtime;

/// <summary>The run's intake switch: once stopped, no source is granted another event.</summary>
internal sealed class IntakeSwitch
{
    private volatile bool _stopped;

    public bool Stopped => _stopped;

    public void Stop() => _stopped = true;
}

/// <summary>
/// How many more events one source may emit (<c>--events N</c> applies to each source, so in a chain whose second
/// source receives what the first one sends, N events go all the way through), and the run's intake switch.
/// </summary>
internal sealed class EventBudget(long limit, IntakeSwitch intake)
{
    private long _remaining = limit <= 0 ? long.MaxValue : limit;

    public bool Stopped => intake.Stopped;

    public bool Exhausted => Volatile.Read(ref _remaining) == 0;

    /// <summary>Grants up to <paramref name="wanted"/> events; <paramref name="draining"/> grants them after intake stopped too (the budget still holds).</summary>
    public int TryReserve(int wanted, bool draining = false)
    {
        if ((intake.Stopped && !draining) || wanted <= 0) return 0;
        while (true)
        {
            var left = Volatile.Read(ref _remaining);
            if (left == 0) return 0;
            var grant = (int)Math.Min(wanted, left);
            if (left == long.MaxValue) return grant;
            if (Interlocked.CompareExchange(ref _remaining, left - grant, left) == left) return grant;
        }
    }
}

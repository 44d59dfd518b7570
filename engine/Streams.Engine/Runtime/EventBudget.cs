namespace Streams.Engine.Runtime;

/// <summary>
/// How many more events the sources may emit (<c>--events N</c>), shared by all sources, and the intake switch:
/// once intake stops, no more is granted.
/// </summary>
internal sealed class EventBudget(long limit)
{
    private long _remaining = limit <= 0 ? long.MaxValue : limit;
    private volatile bool _stopped;

    public bool Stopped => _stopped;

    public bool Exhausted => Volatile.Read(ref _remaining) == 0;

    public void Stop() => _stopped = true;

    public int TryReserve(int wanted)
    {
        if (_stopped || wanted <= 0) return 0;
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

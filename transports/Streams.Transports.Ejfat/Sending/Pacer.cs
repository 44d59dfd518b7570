using System.Diagnostics;

namespace Streams.Transports.Ejfat.Sending;

/// <summary>
/// Paces a sender to a byte rate or an event rate by sleeping whenever it runs more than a millisecond ahead of
/// schedule: bursts of at most ~1 ms, no core burnt spinning. A rate of 0 means unpaced. With rate steps the event
/// rate follows them from the first event on (a step of rate 0 pauses).
/// </summary>
internal sealed class Pacer(double bytesPerSecond, double eventsPerSecond, Engine.Operators.RateSteps? steps = null)
{
    private long _start = Stopwatch.GetTimestamp();
    private long _origin;
    private ulong _sent;
    private double _bytes;
    private double _events;

    public bool Paced => bytesPerSecond > 0 || eventsPerSecond > 0 || steps is { IsEmpty: false };

    /// <summary>Accounts for one event of <paramref name="bytes"/> and waits if ahead of schedule.</summary>
    public void Account(long bytes)
    {
        if (!Paced) return;
        if (steps is { IsEmpty: false } s)
        {
            if (_origin == 0) _origin = Stopwatch.GetTimestamp();
            _sent++;
            // The integral of the steps says how many events are due by now; wait (in 1 ms naps) until this one is.
            while (_sent > s.Due(Stopwatch.GetElapsedTime(_origin).TotalSeconds) + 1) Thread.Sleep(1);
            return;
        }

        _bytes += bytes;
        _events++;
        var due = Math.Max(bytesPerSecond > 0 ? _bytes / bytesPerSecond : 0, eventsPerSecond > 0 ? _events / eventsPerSecond : 0);
        var ahead = due - Stopwatch.GetElapsedTime(_start).TotalSeconds;
        if (ahead > 0.001)
        {
            Thread.Sleep(TimeSpan.FromSeconds(ahead));
        }
        else if (ahead < -0.01)
        {
            // More than 10 ms behind (the caller paused): forget the missed schedule rather than catching up at full
            // speed, which would be one long burst.
            _start = Stopwatch.GetTimestamp();
            _bytes = 0;
            _events = 0;
        }
    }
}

namespace Streams.Control.Simulation;

/// <summary>A <see cref="TimeProvider"/> that stands still until told: the simulation's clock, seconds after the Unix epoch.</summary>
public sealed class VirtualClock : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UnixEpoch;

    /// <summary>Seconds since the start.</summary>
    public double Seconds => (_now - DateTimeOffset.UnixEpoch).TotalSeconds;

    public override DateTimeOffset GetUtcNow() => _now;

    /// <summary>Sets the clock to <paramref name="seconds"/> after the start (never backwards).</summary>
    public void Set(double seconds) => _now = DateTimeOffset.UnixEpoch.AddSeconds(Math.Max(Seconds, seconds));
}

using Streams.Control.Laws;
using Streams.Control.Simulation;

namespace Streams.Control.Tests;

/// <summary>Finding a recurring load pattern, and not finding one where there is none.</summary>
public sealed class SeasonalMemoryTests
{
    [Fact]
    public void Bursts_every_30_minutes_are_found_and_the_next_one_is_anticipated()
    {
        var memory = new SeasonalMemory();
        // 400/s with a 4-minute burst of 4000/s every 30 minutes, starting at minute 20; one sample a second.
        double Rate(double t) => (t - 1200) % 1800 is >= 0 and < 240 && t >= 1200 ? 4000 : 400;
        for (var t = 0; t < 5000; t++) memory.Add(t, Rate(t));
        Assert.NotNull(memory.Period);
        Assert.InRange(memory.Period!.Value, 1790, 1810);
        // At 4750 s the next burst starts at 4800 s: looking 120 s ahead, one period back shows it.
        Assert.Equal(4000, memory.Anticipate(4750, 0, 120)!.Value, 0);
        // Halfway between bursts nothing is coming.
        Assert.Equal(400, memory.Anticipate(4000, 0, 120)!.Value, 0);
    }

    [Theory]
    [InlineData("step")]
    [InlineData("diurnal")]
    [InlineData("ramp")]
    public void A_step_a_ramp_or_a_slow_cycle_is_no_period(string trace)
    {
        var t = ArrivalTrace.BuiltIn(trace);
        var memory = new SeasonalMemory();
        for (var s = 0; s < t.DurationSeconds; s++) memory.Add(s, t.Rate(s));
        Assert.Null(memory.Period);
    }

    [Fact]
    public void Queue_model_asks_for_burst_capacity_a_boot_ahead_once_it_has_seen_the_pattern()
    {
        var law = new QueueModelLaw(new ControlBounds(1, 200), new QueueModelSettings { BootSeconds = 120 });
        double Rate(double t) => (t - 1200) % 1800 is >= 0 and < 240 && t >= 1200 ? 4000 : 400;
        var ready = 10;
        ControlDecision d = default;
        for (var t = 0; t <= 4700; t++)
        {
            // Plenty of capacity all along (the queue stays empty), so only the anticipation can raise the demand before 4800 s.
            d = law.Decide(new ControlObservation(t, 1, 0, Rate(t), 100, Math.Max(ready, (int)(Rate(t) / 70)), 0, 0.5, 0.5));
        }

        Assert.True(d.Servers >= 40, $"demand {d.Servers} at 4700 s, 100 s before a burst of 4000/s on servers of 100/s: {d.Reason}");
        Assert.Contains("anticipating", d.Reason, StringComparison.Ordinal);
    }
}

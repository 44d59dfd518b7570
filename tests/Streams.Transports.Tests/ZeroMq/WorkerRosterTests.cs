using Microsoft.Extensions.Time.Testing;
using Streams.Transports.ZeroMq.Coordination;

namespace Streams.Transports.Tests.ZeroMq;

/// <summary>The coordinator's view of each worker process: its state machine and silence, on a fake clock alone.</summary>
public sealed class WorkerRosterTests
{
    [Fact]
    public void A_worker_silent_past_dead_after_on_the_clock_is_found_and_dies_once()
    {
        var time = new FakeTimeProvider();
        var start = time.GetTimestamp();
        double Now() => time.GetElapsedTime(start).TotalSeconds;
        var roster = new WorkerRoster();
        var a = roster.Join("a", "a", Now());
        var b = roster.Join("b", "b", Now());
        time.Advance(TimeSpan.FromSeconds(4));
        b.LastSeen = Now(); // b spoke
        time.Advance(TimeSpan.FromSeconds(0.9));
        Assert.Empty(roster.Silent(Now(), deadAfter: 5));
        time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Same(a, Assert.Single(roster.Silent(Now(), deadAfter: 5)));

        Assert.True(roster.Move(a, WorkerPhase.Dead));
        Assert.False(roster.Move(a, WorkerPhase.Left)); // a BYE from the dead: refused, counted
        Assert.Equal((1L, 0L, 1L), (roster.Died, roster.Left, roster.InvalidTransitions));
        Assert.Null(roster.Find("a"));
        Assert.Same(b, roster.Find("b"));
    }

    [Fact]
    public void A_graceful_leave_goes_joined_leaving_left_and_is_not_a_death()
    {
        var roster = new WorkerRoster();
        var a = roster.Join("a", "a", 0);
        Assert.Equal(WorkerPhase.Joined, a.Phase);
        Assert.True(roster.Move(a, WorkerPhase.Leaving));
        Assert.True(a.Present);
        Assert.False(roster.Move(a, WorkerPhase.Joined)); // no way back
        Assert.False(roster.Move(a, WorkerPhase.Leaving)); // leaving once
        Assert.True(roster.Move(a, WorkerPhase.Left));
        Assert.False(a.Present);
        Assert.Equal((1L, 1L, 0L, 2L), (roster.Joined, roster.Left, roster.Died, roster.InvalidTransitions));
        Assert.Equal(0, roster.Count);
    }
}

using Streams.Engine.Runtime;

namespace Streams.Engine.Tests;

/// <summary>The intake switch and per-source budget, including the grant a draining source (a receiver behind a load balancer) still gets.</summary>
public sealed class EventBudgetTests
{
    [Fact]
    public void After_intake_stops_only_a_draining_source_is_granted_events_and_the_budget_still_holds()
    {
        var intake = new IntakeSwitch();
        var budget = new EventBudget(10, intake);
        Assert.Equal(4, budget.TryReserve(4));
        intake.Stop();
        Assert.Equal(0, budget.TryReserve(1));
        Assert.Equal(5, budget.TryReserve(5, draining: true));
        Assert.Equal(1, budget.TryReserve(5, draining: true)); // 10 in all: the budget holds while draining
        Assert.Equal(0, budget.TryReserve(1, draining: true));
        Assert.True(budget.Exhausted);
    }

    [Fact]
    public void Without_a_limit_a_draining_source_is_granted_what_it_asks()
    {
        var intake = new IntakeSwitch();
        var budget = new EventBudget(0, intake);
        intake.Stop();
        Assert.Equal(0, budget.TryReserve(3));
        Assert.Equal(3, budget.TryReserve(3, draining: true));
    }
}

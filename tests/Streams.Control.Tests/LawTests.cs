using Streams.Control.Laws;
using Streams.Control.Nodes;

namespace Streams.Control.Tests;

public sealed class LawTests
{
    private static readonly ControlBounds Wide = new(1, 1000);

    private static ControlObservation Obs(double t = 0, double dt = 2, double q = 0, double lambda = 0, double mu = 100, int ready = 4, int pending = 0, double u = 0.5, double a = 0.5, double age = 0) =>
        new(t, dt, q, lambda, mu, ready, pending, u, a, age);

    [Fact]
    public void Linear_moves_demand_by_rate_times_interval_as_cobald_does()
    {
        var law = new LinearLaw(Wide, lowUtilisation: 0.5, highAllocation: 0.5, rate: 1);
        Assert.Equal(2, law.Decide(Obs(ready: 4, u: 0.3, a: 0.3)).Demand);          // 4 - 1 x 2
        Assert.Equal(4, law.Decide(Obs(ready: 4, u: 0.9, a: 0.9)).Demand);          // 2 + 1 x 2
        Assert.Equal(4, law.Decide(Obs(ready: 4, u: 0.6, a: 0.4)).Demand);          // in band
        Assert.Equal(9, law.Decide(Obs(dt: 5, ready: 4, u: 0.7, a: 1)).Demand);     // + 1 x 5, whatever is ready
    }

    [Fact]
    public void Linear_winds_up_while_requested_capacity_boots()
    {
        var law = new LinearLaw(Wide);
        var d = 0.0;
        for (var i = 0; i < 24; i++) d = law.Decide(Obs(t: i * 5, dt: 5, ready: 8, pending: 40, u: 1, a: 1)).Demand;
        Assert.Equal(48 + 120, d); // 2 minutes of booting: +120 servers on top of the 48 already requested
    }

    [Fact]
    public void Relative_supply_scales_the_supply_by_0_9_or_1_1()
    {
        var law = new RelativeSupplyLaw(Wide);
        Assert.Equal(9, law.Decide(Obs(ready: 10, u: 0.3, a: 0.3)).Demand, 9);
        Assert.Equal(11, law.Decide(Obs(ready: 10, u: 0.6, a: 0.8)).Demand, 9);
        Assert.Equal(10, law.Decide(Obs(ready: 10, u: 0.6, a: 0.4)).Demand, 9);
    }

    [Fact]
    public void Hpa_follows_the_kubernetes_formula_tolerance_and_windows()
    {
        var law = new HpaLaw(Wide, targetUtilisation: 0.8);
        Assert.Equal(5, law.Decide(Obs(t: 0, ready: 4, u: 1.0)).Demand);    // ceil(4 x 1.0 / 0.8)
        Assert.Equal(5, law.Decide(Obs(t: 5, ready: 5, u: 1.0)).Demand);    // wants 7, but one scale-up per 15 s
        Assert.Equal(7, law.Decide(Obs(t: 20, ready: 5, u: 1.0)).Demand);   // ceil(5 / 0.8) = 7
        Assert.Equal(7, law.Decide(Obs(t: 25, ready: 7, u: 0.85)).Demand);  // ratio 1.06: within tolerance
        Assert.Equal(7, law.Decide(Obs(t: 30, ready: 7, u: 0.2)).Demand);   // recommends 2, held by the 300 s window
        Assert.Equal(2, law.Decide(Obs(t: 331, ready: 7, u: 0.2)).Demand);  // the window has forgotten the 7s
    }

    [Fact]
    public void Hpa_limits_a_scale_up_to_double_or_four_more()
    {
        var law = new HpaLaw(Wide, targetUtilisation: 0.1);
        Assert.Equal(6, law.Decide(Obs(ready: 2, u: 1)).Demand); // wants 20; max(2 x 2, 2 + 4) = 6
    }

    [Fact]
    public void Erlang_c_matches_the_textbook_values()
    {
        Assert.Equal(1.0 / 3, ErlangC.WaitProbability(2, 1), 12);    // c = 2, a = 1
        Assert.Equal(1.0 / 3, ErlangC.MeanQueue(2, 1, 1), 12);       // Lq = C rho / (1 - rho) = 1/3
        Assert.Equal(0.5, ErlangC.MeanQueue(1, 0.5, 1), 12);         // M/M/1: rho^2 / (1 - rho)
        Assert.True(double.IsPositiveInfinity(ErlangC.MeanQueue(2, 2, 1)));
        Assert.Equal(5, ErlangC.ServersFor(400, 100, 1000, 0.85));   // utilisation cap: ceil(400 / 85)
    }

    [Fact]
    public void Queue_model_requests_once_for_the_backlog_and_not_again_while_it_boots()
    {
        var law = new QueueModelLaw(Wide, new QueueModelSettings { QueueTarget = 5000, DrainSeconds = 300, BootSeconds = 120, FailureHedge = 0 });
        law.Decide(Obs(t: 0, dt: 5, lambda: 400, ready: 8, u: 0.5, a: 0.5));
        var first = law.Decide(Obs(t: 5, dt: 5, lambda: 4000, ready: 8, u: 1, a: 1)).Servers;
        // M/M/c for 4000/s at 100/s per server is 48+; the backlog when capacity arrives is 3200/s x 120 s.
        Assert.Equal((int)Math.Ceiling((4000 + ((3200 * 120) - 2500) / 300.0) / 100), first);
        for (var age = 5; age <= 115; age += 5)
        {
            var queue = 3200.0 * age;
            var d = law.Decide(Obs(t: 5 + age, dt: 5, q: queue, lambda: 4000, ready: 8, pending: first - 8, u: 1, a: 1, age: age));
            Assert.InRange(d.Servers, first - 1, first + 1); // the queue grows as predicted: no new request
        }
    }

    [Fact]
    public void Queue_model_asks_for_capacity_to_come_with_a_margin_for_nodes_that_fail()
    {
        var law = new QueueModelLaw(Wide, new QueueModelSettings { QueueTarget = 5000, DrainSeconds = 300, BootSeconds = 0, FailureHedge = 0.2, SmoothingSeconds = 0 });
        // 4000/s at 100/s per server at <= 85%: 48 servers; 8 ready, so 40 must come: 40 / (1 - 0.2) = 50 -> 58.
        Assert.Equal(58, law.Decide(Obs(t: 5, dt: 5, lambda: 4000, ready: 8, u: 1, a: 1)).Servers);
    }

    [Fact]
    public void Queue_model_does_not_flap_on_a_noisy_flat_load()
    {
        var law = new QueueModelLaw(Wide, new QueueModelSettings { QueueTarget = 5000 });
        var rng = new Random(7);
        var changes = 0;
        int? last = null;
        var ready = 14;
        for (var i = 0; i < 400; i++)
        {
            var lambda = 1000 + (rng.NextDouble() * 300) - 150;
            var d = law.Decide(Obs(t: i * 5, dt: 5, q: rng.Next(0, 200), lambda: lambda, ready: ready, u: lambda / (ready * 100), a: lambda / (ready * 100))).Servers;
            if (last is { } l && d != l) changes++;
            last = d;
            ready = d;
        }

        Assert.True(changes <= 4, $"{changes} changes on a flat load");
    }

    [Fact]
    public void Queue_model_lowers_in_steps_after_the_window_once_the_backlog_is_gone()
    {
        var law = new QueueModelLaw(Wide, new QueueModelSettings { QueueTarget = 5000, DownWindowSeconds = 60, MaxDownFraction = 0.25, SmoothingSeconds = 0 });
        Assert.Equal(48, law.Decide(Obs(t: 0, dt: 5, lambda: 4000, ready: 48, u: 0.83, a: 0.83)).Servers);
        Assert.Equal(48, law.Decide(Obs(t: 30, dt: 5, lambda: 400, ready: 48, u: 0.1, a: 0.1)).Servers);  // held by the window
        Assert.Equal(48, law.Decide(Obs(t: 70, dt: 5, q: 4000, lambda: 400, ready: 48, u: 0.1, a: 1)).Servers); // backlog remains
        Assert.Equal(36, law.Decide(Obs(t: 75, dt: 5, lambda: 400, ready: 48, u: 0.1, a: 0.1)).Servers);  // 48 - 25%
        Assert.Equal(27, law.Decide(Obs(t: 80, dt: 5, lambda: 400, ready: 48, u: 0.1, a: 0.1)).Servers);  // from the last demand, not the supply
    }

    [Fact]
    public void Queue_model_raises_again_when_load_returns_while_a_release_is_still_pending()
    {
        var law = new QueueModelLaw(new ControlBounds(0, 2), new QueueModelSettings { SmoothingSeconds = 0, DownWindowSeconds = 2, BootSeconds = 0, FailureHedge = 0 });
        Assert.Equal(2, law.Decide(Obs(t: 0, dt: 1, lambda: 150, mu: 100, ready: 2, u: 0.75, a: 0.75)).Servers);
        Assert.Equal(1, law.Decide(Obs(t: 5, dt: 1, lambda: 50, mu: 100, ready: 2, u: 0.25, a: 0.25)).Servers); // lowered; the node is still there
        Assert.Equal(2, law.Decide(Obs(t: 6, dt: 1, q: 3000, lambda: 300, mu: 100, ready: 2, u: 1, a: 1)).Servers); // load is back: keep both
    }

    [Fact]
    public void Queue_model_lets_the_last_server_go_when_arrivals_stop()
    {
        var law = new QueueModelLaw(new ControlBounds(0, 64), new QueueModelSettings { SmoothingSeconds = 2, DownWindowSeconds = 4, BootSeconds = 0, FailureHedge = 0 });
        Assert.Equal(2, law.Decide(Obs(t: 0, dt: 1, lambda: 150, mu: 100, ready: 2, u: 0.75, a: 0.75)).Servers);
        var d = 2;
        for (var t = 1; t <= 40; t++) d = law.Decide(Obs(t: t, dt: 1, lambda: 0, mu: 100, ready: d, u: 0, a: 0)).Servers;
        Assert.Equal(0, d); // the smoothed rate only tends to zero; under 1% of a server with no queue it is idle
    }

    [Fact]
    public void Demand_goes_to_local_workers_first_then_whole_nodes()
    {
        var shape = new CapacityShape(1, 8, 16, 0, 8);
        Assert.Equal((5, 0), CapacitySplit.Split(5, shape));
        Assert.Equal((8, 3), CapacitySplit.Split(50, shape));
        Assert.Equal((8, 1), CapacitySplit.Split(9, shape));
        Assert.Equal((8, 2), CapacitySplit.Split(500, shape with { MaxNodes = 2 })); // the most nodes
        Assert.Equal((0, 2), CapacitySplit.Split(17, CapacityShape.Nodes(16, 1, 4))); // a stage on workers: whole nodes only
        Assert.Equal((0, 1), CapacitySplit.Split(0, CapacityShape.Nodes(16, 1, 4))); // at least min-nodes
        Assert.Equal((6, 0), CapacitySplit.Split(9, CapacityShape.Threads(1, 6))); // a stage in this process: threads only
    }

    [Fact]
    public void Booting_nodes_count_as_requested_and_go_first_on_release()
    {
        static DateTimeOffset At(double s) => DateTimeOffset.UnixEpoch.AddSeconds(s);
        NodeInfo[] pool = [new("r1", NodeState.Ready, 16, At(0)), new("r2", NodeState.Ready, 16, At(5)), new("b1", NodeState.Booting, 16, At(10)), new("dead", NodeState.Failed, 16, At(1))];
        Assert.Equal(0, CapacitySplit.Plan(3, pool).Request);
        Assert.Empty(CapacitySplit.Plan(3, pool).Release); // failed nodes are not counted
        Assert.Equal(2, CapacitySplit.Plan(5, pool).Request);
        Assert.Equal(["b1", "r2"], CapacitySplit.Plan(1, pool).Release);
    }

    [Fact]
    public void Unknown_laws_and_parameters_are_refused_with_what_is_accepted()
    {
        Assert.Contains("queue-model", Assert.Throws<ArgumentException>(() => ControlLaws.Create("pid", Wide)).Message, StringComparison.Ordinal);
        Assert.Contains("low-utilisation", Assert.Throws<ArgumentException>(() => ControlLaws.Create(ControlLaws.Linear, Wide, new Dictionary<string, string> { ["speed"] = "2" })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ControlLaws.Create(ControlLaws.Hpa, Wide, new Dictionary<string, string> { ["tolerance"] = "x" }));
    }
}

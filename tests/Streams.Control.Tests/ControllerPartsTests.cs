using Streams.Control.Laws;
using Streams.Control.Live;
using Streams.Control.Nodes;
using Streams.Jrm;

namespace Streams.Control.Tests;

/// <summary>The controller's parts on their own: measurement, node books, the shared decision, the worker command line.</summary>
public sealed class ControllerPartsTests
{
    private static DateTimeOffset At(double s) => DateTimeOffset.UnixEpoch.AddSeconds(s);

    [Fact]
    public void Measurement_turns_two_readings_of_cumulative_counters_into_what_a_law_sees()
    {
        var meter = new StageMeter();
        // 10 events per batch; 2 threads.
        Assert.Null(meter.Local(new StageReading(Time: 10, EventsIn: 1000, EventsOut: 1000, Batches: 100, QueueBatches: 5, Threads: 2, BusySeconds: 3)));
        var o = meter.Local(new StageReading(Time: 12, EventsIn: 1400, EventsOut: 1400, Batches: 140, QueueBatches: 8, Threads: 2, BusySeconds: 5))!.Value;
        Assert.Equal((12, 2), (o.Time, o.Interval));
        Assert.Equal(80, o.Queue);                       // 8 batches of 10
        Assert.Equal((400 + (80 - 50)) / 2.0, o.ArrivalRate); // served + queue growth, per second
        Assert.Equal(400 / 2.0, o.ServiceRate);          // events per busy thread-second
        Assert.Equal(0.5, o.Utilisation);                // 2 busy thread-seconds of 4
        Assert.Equal(1, o.Allocation);                   // work waits
        Assert.Null(meter.Local(new StageReading(12, 1400, 1400, 140, 8, 2, 5))); // the same snapshot again: nothing to measure
    }

    [Fact]
    public void A_stage_on_workers_keeps_its_prior_service_rate_until_it_is_saturated()
    {
        var meter = new StageMeter(priorServiceRate: 100);
        meter.Remote(new StageReading(0, 0, 0, 0, 0, 4, 0), 0, 0);
        var idle = meter.Remote(new StageReading(1, 200, 200, 20, 0, 4, 0), pendingServers: 8, pendingAgeSeconds: 30)!.Value;
        Assert.Equal(100, idle.ServiceRate); // nothing waited: the prior stands
        Assert.Equal(0.5, idle.Utilisation); // 200 of 4 x 100
        Assert.Equal((4, 8, 30), (idle.Ready, idle.Pending, idle.PendingAge));
        var busy = meter.Remote(new StageReading(2, 1000, 800, 100, 50, 4, 0), 0, 0)!.Value;
        Assert.Equal(600 / 4.0, busy.ServiceRate); // work waited: what 4 threads did in 1 s
    }

    [Fact]
    public void The_node_books_count_each_node_once_and_tell_what_is_new()
    {
        var book = new NodeBook();
        book.OnRequested("a");
        book.OnRequested("b");
        Assert.Empty(book.Observe([new("a", NodeState.Booting, 4, At(0)), new("b", NodeState.Booting, 4, At(5))]));
        Assert.Equal(15, book.OldestBootingSeconds(At(15)));
        Assert.Equal([("a", NodeNews.Joined)], book.Observe([new("a", NodeState.Ready, 4, At(0)), new("b", NodeState.Booting, 4, At(5))]));
        Assert.Empty(book.Observe([new("a", NodeState.Ready, 4, At(0)), new("b", NodeState.Booting, 4, At(5))])); // told once
        Assert.True(book.OnReleasing("a"));
        Assert.False(book.OnReleasing("a")); // asked again while a guard defers it: counted once
        Assert.Equal([("b", NodeNews.Failed)], book.Observe([new("a", NodeState.Draining, 4, At(0)), new("b", NodeState.Failed, 4, At(5))])); // a: released, not ending
        Assert.Equal([("c", NodeNews.Ending)], book.Observe([new("c", NodeState.Draining, 4, At(9))])); // near its walltime, on its own
        Assert.Equal((2, 1, 1, 1), (book.Requested, book.Joined, book.Released, book.Failed));
        Assert.Equal(1, book.Count(NodeState.Draining));
    }

    [Fact]
    public void The_shared_decision_meets_a_demand_with_threads_first_then_nodes_from_the_pool()
    {
        var control = new StageControl("s", new FixedLaw(40), new CapacityShape(1, 8, 16, 0, 4));
        control.Nodes.Observe([new("r", NodeState.Ready, 16, At(0)), new("dead", NodeState.Failed, 16, At(1))]);
        var step = control.Decide(new ControlObservation(1, 1, 0, 0, 1, 24, 0, 1, 1));
        Assert.Equal((8, 2, 1), (step.Threads, step.Nodes, step.Request)); // 40 = 8 threads + 2 nodes; one is ready
        Assert.Empty(step.Release);
        Assert.Equal(40, step.Servers(16));

        var local = new StageControl("s", new FixedLaw(40), CapacityShape.Threads(1, 6)).Decide(new ControlObservation(1, 1, 0, 0, 1, 2, 0, 1, 1));
        Assert.Equal((6, 0, 0), (local.Threads, local.Nodes, local.Request)); // a stage in this process has no nodes
    }

    [Fact]
    public void One_worker_command_line_serves_every_provider()
    {
        var line = new WorkerCommandLine("tcp://10.0.0.1:5555", "slurm-$SLURM_JOB_ID", 64) { MetricsListen = "0.0.0.0:0" };
        Assert.Equal(["worker", "--join", "tcp://10.0.0.1:5555", "--name", "slurm-$SLURM_JOB_ID", "--threads", "64", "--metrics-listen", "0.0.0.0:0"], line.Arguments);
        Assert.Equal("dotnet /opt/streams.dll worker --join tcp://10.0.0.1:5555 --name \"slurm-$SLURM_JOB_ID\" --threads 64 --metrics-listen 0.0.0.0:0", line.ForShell("dotnet /opt/streams.dll"));
        Assert.Equal(["worker", "--join", "tcp://c:1", "--name", "w", "--threads", "2", "--leave-after", "3480", "--metrics-listen", "127.0.0.1:0"],
            new WorkerCommandLine("tcp://c:1", "w", 2) { LeaveAfterSeconds = 3480 }.Arguments);
    }

    /// <summary>A law that always asks for the same servers.</summary>
    private sealed class FixedLaw(double demand) : IControlLaw
    {
        public string Name => "fixed";

        public ControlDecision Decide(in ControlObservation o) => new(demand, "fixed");
    }
}

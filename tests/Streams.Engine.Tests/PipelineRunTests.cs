using Prometheus;
using Streams.Engine.Runtime;

namespace Streams.Engine.Tests;

public class PipelineRunTests
{
    private static string Linear(string source, string stage, string sink = "{name: out, operator: count, input: work}") => $"""
        name: t
        sources:
          - {source}
        stages:
          - {stage}
        sinks:
          - {sink}
        """;

    [Fact]
    public async Task Linear_chain_delivers_every_event_once()
    {
        var s = await Pipelines.RunAsync(Linear(
            "{name: gen, operator: synthetic, config: {count: 10000, batch-size: 100}}",
            "{name: work, operator: cpu-burn, input: gen, workers: 3, config: {work-us: 0}}"));
        Assert.Equal(new EventTotals(10000, 10000, 0, 0, 0), s.Events);
        Assert.Equal(10000, s.Stage("gen").EventsOut);
        Assert.Equal(10000, s.Stage("work").EventsIn);
        Assert.Equal(10000, s.Stage("out").EventsIn);
        Assert.Equal(3, s.Stage("work").MaxWorkers);
        Assert.Equal("end of input", s.ExitReason);
    }

    [Fact]
    public async Task Fan_out_gives_every_branch_every_event_and_counts_each_event_once()
    {
        var s = await Pipelines.RunAsync("""
            sources: [{name: gen, operator: synthetic, config: {count: 1000, batch-size: 64}}]
            stages: [{name: work, operator: noop, input: gen}]
            sinks:
              - {name: a, operator: count, input: work}
              - {name: b, operator: count, input: work}
            """);
        Assert.Equal(1000, s.Stage("a").EventsIn);
        Assert.Equal(1000, s.Stage("b").EventsIn);
        Assert.Equal(new EventTotals(1000, 1000, 0, 0, 0), s.Events);
    }

    [Fact]
    public async Task Fan_in_merges_several_sources()
    {
        var s = await Pipelines.RunAsync("""
            sources:
              - {name: g1, operator: synthetic, config: {count: 300, batch-size: 7}}
              - {name: g2, operator: synthetic, config: {count: 200, batch-size: 9}}
            stages: [{name: work, operator: noop, inputs: [g1, g2], workers: 2}]
            sinks: [{name: out, operator: count, input: work}]
            """);
        Assert.Equal(500, s.Stage("out").EventsIn);
        Assert.Equal(new EventTotals(500, 500, 0, 0, 0), s.Events);
    }

    [Fact]
    public async Task An_event_failed_on_one_branch_counts_as_failed_not_processed()
    {
        var s = await Pipelines.RunAsync("""
            sources: [{name: gen, operator: synthetic, config: {count: 1000, batch-size: 50}}]
            stages: [{name: check, operator: fault-inject, input: gen, config: {fail-every: 10}}]
            sinks:
              - {name: a, operator: count, input: check}
              - {name: b, operator: count, input: gen}
            """);
        Assert.Equal(1000, s.Stage("b").EventsIn);
        Assert.Equal(900, s.Stage("a").EventsIn);
        Assert.Equal(new EventTotals(1000, 900, 100, 0, 0), s.Events);
    }

    [Fact]
    public async Task Failed_events_are_counted_with_their_message_and_the_run_goes_on()
    {
        var s = await Pipelines.RunAsync(Linear(
            "{name: gen, operator: synthetic, config: {count: 700, batch-size: 64}}",
            "{name: work, operator: fault-inject, input: gen, workers: 2, config: {fail-every: 7}}"));
        Assert.Equal(new EventTotals(700, 600, 100, 0, 0), s.Events);
        Assert.Equal(100, s.Stage("work").Failed);
        Assert.Equal(600, s.Stage("out").EventsIn);
        var error = Assert.Single(s.Errors);
        Assert.Equal("work", error.Stage);
        Assert.Equal(100, error.Count);
        Assert.Contains("injected failure", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_operator_that_throws_fails_its_batch_and_the_run_goes_on()
    {
        var s = await Pipelines.RunAsync(Linear(
            "{name: gen, operator: synthetic, config: {count: 5000, batch-size: 100}}",
            "{name: work, operator: fault-inject, input: gen, config: {throw-every: 1000}}"));
        Assert.Equal(new EventTotals(5000, 4500, 500, 0, 0), s.Events);
        var error = Assert.Single(s.Errors);
        Assert.Contains("InvalidDataException: injected exception", error.Message, StringComparison.Ordinal);
        Assert.Equal(500, error.Count);
    }

    [Fact]
    public async Task A_sink_that_throws_fails_those_events_only()
    {
        var sink = new GatedSink.Shared { ThrowWhen = b => b.Meta[0].EventNumber == 0 };
        var s = await Pipelines.RunAsync(Linear(
            "{name: gen, operator: synthetic, config: {count: 1000, batch-size: 100}}",
            "{name: work, operator: noop, input: gen}",
            "{name: out, operator: gated, input: work}"), catalog: Catalogs.Builtin(sink.Descriptor));
        Assert.Equal(new EventTotals(1000, 900, 100, 0, 0), s.Events);
        Assert.Contains("IOException: disk full", Assert.Single(s.Errors).Message, StringComparison.Ordinal);
        Assert.Equal(1, sink.Flushes);
    }

    [Fact]
    public async Task A_fatal_failure_stops_intake_and_the_pipeline_drains()
    {
        var s = await Pipelines.RunAsync(Linear(
            "{name: gen, operator: synthetic, config: {batch-size: 100}}",
            "{name: work, operator: fault-inject, input: gen, config: {fail-every: 5000, severity: fatal}}"));
        Assert.StartsWith("fatal failure in 'work'", s.ExitReason, StringComparison.Ordinal);
        Assert.True(s.Events.Failed >= 1);
        Assert.True(s.Events.Balanced, s.Events.ToString());
    }

    [Fact]
    public async Task Filtered_events_are_discarded_and_accounted_for()
    {
        var s = await Pipelines.RunAsync(Linear(
            "{name: gen, operator: synthetic, config: {count: 1000, batch-size: 100}}",
            "{name: work, operator: fault-inject, input: gen, config: {drop-every: 2}}"));
        Assert.Equal(new EventTotals(1000, 500, 0, 500, 0), s.Events);
        Assert.Equal(500, s.Stage("work").Discarded);
    }

    [Fact]
    public async Task Event_limit_stops_intake_at_exactly_that_many_events()
    {
        var s = await Pipelines.RunAsync(
            Linear("{name: gen, operator: synthetic, config: {batch-size: 100}}", "{name: work, operator: noop, input: gen}"),
            new PipelineOptions { EventLimit = 1234 });
        Assert.Equal(new EventTotals(1234, 1234, 0, 0, 0), s.Events);
        Assert.Equal("event limit 1234 reached", s.ExitReason);
    }

    [Fact]
    public async Task Duration_stops_intake_then_everything_in_flight_drains()
    {
        var s = await Pipelines.RunAsync(
            Linear("{name: gen, operator: synthetic}", "{name: work, operator: cpu-burn, input: gen, workers: 2, config: {work-us: 20}}"),
            new PipelineOptions { Duration = TimeSpan.FromMilliseconds(500) });
        Assert.StartsWith("duration", s.ExitReason, StringComparison.Ordinal);
        Assert.True(s.Events.Received > 0);
        Assert.Equal(s.Events.Received, s.Events.Processed);
        Assert.Equal(0, s.Events.InFlight);
    }

    [Fact]
    public async Task Stopping_intake_drains_queues_and_flushes_sinks()
    {
        var sink = new GatedSink.Shared();
        using var p = Pipeline.Create(Pipelines.Plan(Linear(
            "{name: gen, operator: synthetic, config: {batch-size: 10}}",
            "{name: work, operator: noop, input: gen, queue: 4}",
            "{name: out, operator: gated, input: work, workers: 2, queue: 4}"), Catalogs.Builtin(sink.Descriptor)));
        sink.Gate.Reset();
        var run = p.RunAsync();
        await Eventually.WaitUntil(() => p.Stage("work").QueueDepth == 4);
        p.StopIntake("test asked");
        sink.Gate.Set();
        var s = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("test asked", s.ExitReason);
        Assert.True(s.Events.Received >= 40);
        Assert.Equal(s.Events.Received, s.Events.Processed);
        Assert.Equal(s.Events.Received, Interlocked.Read(ref sink.Written));
        Assert.Equal(2, sink.Flushes); // one instance per worker, each flushed
    }

    [Fact]
    public async Task Backpressure_bounds_what_a_stalled_sink_lets_in_and_nothing_is_lost()
    {
        var sink = new GatedSink.Shared();
        using var p = Pipeline.Create(Pipelines.Plan(Linear(
            "{name: gen, operator: synthetic, config: {batch-size: 10}}",
            "{name: work, operator: noop, input: gen, queue: 4}",
            "{name: out, operator: gated, input: work, queue: 4}"), Catalogs.Builtin(sink.Descriptor)));
        sink.Gate.Reset();
        var run = p.RunAsync();
        await Eventually.WaitUntil(() => p.Stage("out").QueueDepth == 4 && p.Stage("work").QueueDepth == 4);
        // Bound: queues (4 + 4 batches) + one batch in each worker's hands + one the source is waiting to write. Watch it
        // for a second while the sink stays stalled (a loaded machine may add the last of those batches late).
        const int bound = (4 + 4 + 3) * 10;
        long most = 0;
        for (var i = 0; i < 10; i++)
        {
            most = Math.Max(most, p.Accounts.Received);
            Assert.True(most <= bound, $"received {most} with the sink stalled: no backpressure");
            await Task.Delay(100);
        }

        p.StopIntake("done");
        sink.Gate.Set();
        var s = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(s.Events.Received <= bound, $"received {s.Events.Received}");
        Assert.Equal(new EventTotals(s.Events.Received, s.Events.Received, 0, 0, 0), s.Events); // nothing lost
    }

    [Fact]
    public async Task Workers_can_be_added_and_removed_while_the_pipeline_runs()
    {
        var probe = new ConcurrencyProbe.Shared { SleepMs = 5 };
        using var p = Pipeline.Create(Pipelines.Plan(Linear(
            "{name: gen, operator: synthetic, config: {batch-size: 4}}",
            "{name: work, operator: probe, input: gen, workers: 1, max-workers: 6}"), Catalogs.Builtin(probe.Descriptor)));
        var run = p.RunAsync();
        var work = p.Stage("work");
        await Eventually.WaitUntil(() => Volatile.Read(ref probe.Peak) >= 1); // a loaded machine may take a while to start
        await Task.Delay(200);
        Assert.Equal(1, Volatile.Read(ref probe.Peak));

        Assert.Equal(4, work.SetThreads(4));
        await Eventually.WaitUntil(() => Volatile.Read(ref probe.Peak) == 4);
        Assert.Equal(4, work.Threads);

        Assert.Equal(6, work.SetThreads(100)); // clamped to max-workers
        Assert.Equal(1, work.SetThreads(0));   // clamped to 1
        await Eventually.WaitUntil(() => work.Threads == 1);
        probe.ResetPeak();
        await Eventually.WaitUntil(() => Volatile.Read(ref probe.Peak) >= 1);
        await Task.Delay(200);
        Assert.Equal(1, Volatile.Read(ref probe.Peak));

        // Down and straight back up, while the dismissed workers may still be finishing their batch: the pool must
        // really reach the new size, not count the departing workers toward it.
        Assert.Equal(5, work.SetThreads(5));
        Assert.Equal(1, work.SetThreads(1));
        Assert.Equal(5, work.SetThreads(5));
        probe.ResetPeak();
        await Eventually.WaitUntil(() => Volatile.Read(ref probe.Peak) == 5);

        p.StopIntake("done");
        var s = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(s.Events.Balanced);
        Assert.Equal(s.Events.Received, s.Events.Processed);
        Assert.Equal(6, s.Stage("work").MaxWorkers);
    }

    [Fact]
    public async Task Each_worker_gets_its_own_operator_instance()
    {
        var probe = new ConcurrencyProbe.Shared { SleepMs = 0 };
        var plan = Pipelines.Plan(Linear(
            "{name: gen, operator: synthetic, config: {count: 100}}",
            "{name: work, operator: probe, input: gen, workers: 3}"), Catalogs.Builtin(probe.Descriptor));
        var afterPlanning = probe.Instances;
        using var p = Pipeline.Create(plan);
        await p.RunAsync();
        Assert.Equal(3, probe.Instances - afterPlanning);
    }

    [Fact]
    public async Task Stage_metrics_reach_the_registry()
    {
        var registry = Streams.Engine.Metrics.MetricsRegistry.CreatePrivate();
        await Pipelines.RunAsync(
            Linear("{name: gen, operator: synthetic, config: {count: 1000}}", "{name: work, operator: fault-inject, input: gen, config: {fail-every: 10}}"),
            new PipelineOptions { Registry = registry });
        var text = await registry.ExportTextAsync();
        Assert.Contains("streams_stage_events_in_total{pipeline=\"t\",stage=\"work\",kind=\"processor\"} 1000", text, StringComparison.Ordinal);
        Assert.Contains("streams_stage_events_failed_total{pipeline=\"t\",stage=\"work\",kind=\"processor\"} 100", text, StringComparison.Ordinal);
        Assert.Contains("streams_events_processed_total{pipeline=\"t\"} 900", text, StringComparison.Ordinal);
        Assert.Contains("streams_stage_batch_processing_seconds_bucket", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Summary_json_uses_the_documented_names_and_round_trips()
    {
        var s = await Pipelines.RunAsync(Linear("{name: gen, operator: synthetic, config: {count: 10}}", "{name: work, operator: noop, input: gen}"));
        var json = s.ToJson();
        foreach (var key in new[] { "\"pipeline\"", "\"durationSeconds\"", "\"events\"", "\"received\"", "\"processed\"", "\"failed\"", "\"discarded\"", "\"inFlight\"", "\"stages\"", "\"eventsIn\"", "\"eventsOut\"", "\"maxWorkers\"" })
        {
            Assert.Contains(key, json, StringComparison.Ordinal);
        }

        var back = PipelineSummary.FromJson(json);
        Assert.Equal(s.Events, back.Events);
        Assert.Equal(s.Stages, back.Stages);
    }
}

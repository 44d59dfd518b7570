using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.TestKit;

namespace Streams.Engine.Tests;

/// <summary>A run says whether it did its job: each way a run can fail has its exit status and one-line reason.</summary>
public sealed class RunVerdictTests
{
    [Fact]
    public async Task A_run_that_did_its_job_is_ok_with_the_stop_reason()
    {
        var s = await Pipelines.RunAsync("""
            sources: [{name: gen, operator: synthetic, config: {count: 500}}]
            sinks: [{name: out, operator: count, input: gen}]
            """);
        Assert.True(s.Ok);
        Assert.Equal(ExitCodes.Ok, s.ExitCode);
        Assert.Equal("end of input", s.ExitReason);
        Assert.Equal("end of input", s.StopReason);
    }

    [Fact]
    public async Task Every_event_failing_is_not_a_success()
    {
        var s = await Pipelines.RunAsync("""
            sources: [{name: gen, operator: synthetic, config: {count: 1000}}]
            stages: [{name: bad, operator: fault-inject, input: gen, config: {fail-every: 1}}]
            sinks: [{name: out, operator: count, input: bad}]
            """);
        Assert.False(s.Ok);
        Assert.Equal(ExitCodes.Failed, s.ExitCode);
        Assert.Equal("no event was processed: 1000 of 1000 failed", s.ExitReason);
        Assert.True(s.Events.Balanced);
    }

    [Fact]
    public async Task A_run_into_which_nothing_entered_is_not_a_success()
    {
        var empty = new OperatorDescriptor { Name = "empty", Kind = OperatorKind.Source, Description = "emits nothing", Factory = () => new EmptySource() };
        var s = await Pipelines.RunAsync("""
            sources: [{name: nothing, operator: empty}]
            sinks: [{name: out, operator: count, input: nothing}]
            """, catalog: Catalogs.Builtin(empty));
        Assert.Equal(ExitCodes.Failed, s.ExitCode);
        Assert.StartsWith("no events entered the pipeline", s.ExitReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sink_that_cannot_write_fails_its_events_and_the_run_with_status_4()
    {
        var sink = new GatedSink.Shared { ThrowWhen = b => b.Meta[0].EventNumber >= 512 };
        var s = await Pipelines.RunAsync("""
            sources: [{name: gen, operator: synthetic, config: {count: 1024, batch-size: 256}}]
            sinks: [{name: out, operator: gated, input: gen}]
            """, catalog: Catalogs.Builtin(sink.Descriptor));
        Assert.Equal(ExitCodes.OutputFailed, s.ExitCode);
        Assert.Equal(new EventTotals(1024, 512, 512, 0, 0), s.Events);
        var o = Assert.Single(s.OutputFailures);
        Assert.Equal(("out", "IOException: disk full (test)", 2L, 512L), (o.Stage, o.Message, o.Occurrences, o.Events));
        Assert.Equal("output of 'out' could not be written: IOException: disk full (test) (512 events not written)", s.ExitReason);
    }

    [Fact]
    public async Task A_fatal_failure_after_a_bounded_source_ended_still_fails_the_run()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var late = new OperatorDescriptor { Name = "late-fatal", Kind = OperatorKind.Processor, Description = "fails fatally once released", Factory = () => new LateFatal(gate.Task) };
        using var p = Pipeline.Create(Pipelines.Plan("""
            sources: [{name: gen, operator: synthetic, config: {count: 10, batch-size: 10}}]
            stages: [{name: work, operator: late-fatal, input: gen}]
            sinks: [{name: out, operator: count, input: work}]
            """, Catalogs.Builtin(late)));
        var run = p.RunAsync();
        // The source's one batch is out and the source has ended: intake stopped as "end of input" first.
        await Eventually.Until(() => p.StopReason is not null, "intake stopped");
        Assert.Equal("end of input", p.StopReason);
        gate.SetResult();
        var s = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(ExitCodes.Fatal, s.ExitCode);
        Assert.Equal("fatal failure in 'work': late and fatal", s.ExitReason);
        Assert.Equal("end of input", s.StopReason);
    }

    [Fact]
    public async Task A_source_that_cannot_open_stops_every_source_before_any_event_flows()
    {
        var opened = new OperatorDescriptor { Name = "no-port", Kind = OperatorKind.Source, Description = "cannot open", Factory = () => new UnopenableSource() };
        var s = await Pipelines.RunAsync("""
            sources:
              - {name: gen, operator: synthetic, config: {count: 100000}}
              - {name: port, operator: no-port}
            sinks: [{name: out, operator: count, inputs: [gen, port]}]
            """, catalog: Catalogs.Builtin(opened));
        Assert.Equal(ExitCodes.SourceFailed, s.ExitCode);
        Assert.Equal(0, s.Events.Received);
        Assert.Equal("source 'port' failed: could not start: UDP port 1 is already in use (test)", s.ExitReason);
        Assert.Equal(new SourceFailure("port", "could not start: UDP port 1 is already in use (test)"), Assert.Single(s.SourceFailures));
    }

    [Fact]
    public async Task The_event_limit_applies_to_each_source()
    {
        var s = await Pipelines.RunAsync("""
            sources:
              - {name: a, operator: synthetic, config: {batch-size: 64}}
              - {name: b, operator: synthetic, config: {batch-size: 100}}
            sinks: [{name: out, operator: count, inputs: [a, b]}]
            """, new PipelineOptions { EventLimit = 1000 });
        Assert.Equal("event limit 1000 reached", s.ExitReason);
        Assert.Equal([1000L, 1000L], s.Stages.Where(x => x.Kind == "source").Select(x => x.EventsOut));
        Assert.Equal(2000, s.Events.Processed);
    }

    [Fact]
    public async Task Abort_closes_abortable_sinks_and_reports_what_was_in_flight()
    {
        var sink = new AbortableSink();
        var descriptor = new OperatorDescriptor { Name = "abortable", Kind = OperatorKind.Sink, Description = "blocks until aborted", Factory = () => sink };
        using var p = Pipeline.Create(Pipelines.Plan("""
            sources: [{name: gen, operator: synthetic, config: {batch-size: 64}}]
            sinks: [{name: out, operator: abortable, input: gen, queue: 4}]
            """, Catalogs.Builtin(descriptor)));
        var run = p.RunAsync();
        await sink.Writing.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var aborted = p.Abort("SIGINT received again");
        Assert.Equal(1, sink.Aborts);
        Assert.Equal(ExitCodes.Aborted, aborted.ExitCode);
        Assert.False(aborted.Ok);
        Assert.True(aborted.Events.InFlight > 0);
        Assert.Equal($"aborted (SIGINT received again): {aborted.Events.InFlight} event(s) in flight were lost", aborted.ExitReason);
        sink.Release.Set();
        await run.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private sealed class EmptySource : ISource
    {
        public void Configure(OperatorConfig config)
        {
        }

        public void Reset()
        {
        }

        public Task RunAsync(SourceContext context, CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }

    private sealed class UnopenableSource : IOpeningSource
    {
        public void Configure(OperatorConfig config)
        {
        }

        public void Reset()
        {
        }

        public void Open(SourceContext context) => throw new IOException("UDP port 1 is already in use (test)");

        public Task RunAsync(SourceContext context, CancellationToken cancellationToken) => throw new InvalidOperationException("must not run");

        public void Dispose()
        {
        }
    }

    private sealed class LateFatal(Task release) : IProcessor
    {
        public void Configure(OperatorConfig config)
        {
        }

        public void Reset()
        {
        }

        public EventBatch? Process(EventBatch input, ProcessContext context)
        {
            release.Wait();
            context.Fail(0, "late and fatal", Severity.Fatal);
            return input;
        }

        public void Dispose()
        {
        }
    }

    private sealed class AbortableSink : IAbortableSink
    {
        public TaskCompletionSource Writing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ManualResetEventSlim Release { get; } = new(false);

        public int Aborts;

        public void Configure(OperatorConfig config)
        {
        }

        public void Reset()
        {
        }

        public void Write(EventBatch batch, ProcessContext context)
        {
            Writing.TrySetResult();
            Release.Wait();
        }

        public void Flush()
        {
        }

        public string Abort()
        {
            Interlocked.Increment(ref Aborts);
            return "closed";
        }

        public void Dispose()
        {
        }
    }
}

using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.TestKit;
using Streams.Transports.Files;

namespace Streams.Transports.Tests;

/// <summary>The Arrow file a sink writes is readable after any stop, and the books say which events are in it.</summary>
public sealed class ArrowSinkDurabilityTests
{
    [Fact]
    public async Task A_full_disk_fails_the_events_that_did_not_fit_and_the_file_keeps_the_rest_readable()
    {
        using var disk = Tmpfs.Mount(sizeKiB: 1024);
        var path = disk.File("events.arrow");
        using var p = Pipeline.Create(Pipelines.Plan($$$"""
            sources: [{name: gen, operator: synthetic, config: {count: 4096, batch-size: 64, event-size: 2048}}]
            sinks: [{name: file, operator: arrow-file-sink, input: gen, config: {path: "{{{path}}}"}}]
            """, Catalogs.Full()));
        var s = await p.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(ExitCodes.OutputFailed, s.ExitCode);
        Assert.True(s.Events.Balanced, s.Events.ToString());
        Assert.InRange(s.Events.Processed, 64, 4096 - 64); // some batches fit, some did not
        Assert.Equal(4096, s.Events.Processed + s.Events.Failed);
        var o = Assert.Single(s.OutputFailures);
        Assert.Contains("No space left on device", o.Message, StringComparison.Ordinal);
        Assert.Equal(s.Events.Failed, o.Events);
        Assert.Equal(s.Events.Processed, ArrowFiles.Rows(path)); // every processed event is in the file, and the file reads
    }

    [Fact]
    public async Task An_abort_finishes_the_file_with_the_batches_written_so_far()
    {
        var dir = Directory.CreateTempSubdirectory("streams-abort-").FullName;
        try
        {
            var path = Path.Combine(dir, "events.arrow");
            using var p = Pipeline.Create(Pipelines.Plan($$$"""
                sources: [{name: gen, operator: synthetic, config: {batch-size: 64, event-size: 64}}]
                sinks: [{name: file, operator: arrow-file-sink, input: gen, config: {path: "{{{path}}}"}}]
                """, Catalogs.Full()));
            var run = p.RunAsync();
            await Eventually.Until(() => p.Stage("file").Stats.EventsOut >= 10_000, "10,000 events written");
            var aborted = p.Abort("test abort");
            var rows = ArrowFiles.Rows(path); // readable now, while the process would be exiting
            Assert.True(rows >= 10_000, $"{rows} rows");
            Assert.Equal(ExitCodes.Aborted, aborted.ExitCode);
            await run.WaitAsync(TimeSpan.FromSeconds(60)); // later batches fail: the file is closed
            Assert.Equal(rows, ArrowFiles.Rows(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_output_on_a_read_only_mount_is_refused_when_the_pipeline_is_planned()
    {
        using var ro = Tmpfs.Mount(sizeKiB: 64, readOnly: true);
        var problems = Pipelines.Problems($$$"""
            sources: [{name: gen, operator: synthetic, config: {count: 10}}]
            sinks: [{name: file, operator: arrow-file-sink, input: gen, config: {path: "{{{ro.File("sub/events.arrow")}}}"}}]
            """, Catalogs.Full());
        var d = Assert.Single(problems);
        Assert.True(d.Output);
        Assert.Equal(2, d.Location.Line);
        Assert.Contains($"folder '{ro.Path}' does not take new files (Read-only file system)", d.Message, StringComparison.Ordinal);
    }
}

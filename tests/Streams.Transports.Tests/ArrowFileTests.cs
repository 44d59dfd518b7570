using Apache.Arrow;
using Apache.Arrow.Ipc;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.Transports.Files;

namespace Streams.Transports.Tests;

public sealed class ArrowFileTests : IDisposable
{
    private readonly TempDir _tmp = new();

    private string _dir => _tmp.Path;

    private static OperatorCatalog Catalog() => Catalogs.Full();

    private static Task<PipelineSummary> RunAsync(string yaml) => Pipelines.RunAsync(yaml, catalog: Catalog());

    [Fact]
    public async Task Sink_writes_an_arrow_file_with_metadata_and_payload_columns()
    {
        var path = Path.Combine(_dir, "sub", "events.arrow");
        var s = await RunAsync($$$"""
            sources: [{name: gen, operator: synthetic, config: {count: 1000, batch-size: 128, event-size: 32, data-id: 7}}]
            sinks: [{name: file, operator: arrow-file-sink, input: gen, config: {path: "{{{path}}}"}}]
            """);
        Assert.Equal(1000, s.Events.Processed);

        using var stream = File.OpenRead(path);
        using var reader = new ArrowFileReader(stream);
        Assert.Equal("binary/synthetic", reader.Schema.Metadata[EventColumns.DataTypeKey]);
        Assert.Equal(["event_number", "data_id", "tick", "arrival_ns", "payload"], reader.Schema.FieldsList.Select(f => f.Name));
        var rows = 0;
        ulong expected = 0;
        while (await reader.ReadNextRecordBatchAsync() is { } rb)
        {
            using (rb)
            {
                var num = (UInt64Array)rb.Column("event_number");
                var id = (UInt16Array)rb.Column("data_id");
                var payload = (BinaryArray)rb.Column("payload");
                for (var i = 0; i < rb.Length; i++, expected++)
                {
                    Assert.Equal(expected, num.GetValue(i));
                    Assert.Equal((ushort)7, id.GetValue(i));
                    Assert.Equal(32, payload.GetBytes(i).Length);
                    Assert.Equal(expected, BitConverter.ToUInt64(payload.GetBytes(i)));
                }

                rows += rb.Length;
            }
        }

        Assert.Equal(1000, rows);
    }

    [Fact]
    public async Task Source_replays_a_file_the_sink_wrote_byte_for_byte()
    {
        var first = Path.Combine(_dir, "a.arrow");
        var second = Path.Combine(_dir, "b.arrow");
        await RunAsync($$$"""
            sources: [{name: gen, operator: synthetic, config: {count: 500, batch-size: 64, event-size: 100, seed: 42}}]
            sinks: [{name: file, operator: arrow-file-sink, input: gen, config: {path: "{{{first}}}"}}]
            """);
        var s = await RunAsync($$$"""
            sources: [{name: replay, operator: arrow-file-source, config: {path: "{{{first}}}"}}]
            stages: [{name: work, operator: noop, input: replay}]
            sinks: [{name: file, operator: arrow-file-sink, input: work, config: {path: "{{{second}}}"}}]
            """);
        Assert.Equal(new EventTotals(500, 500, 0, 0, 0), s.Events);
        Assert.Equal(Payloads(first), Payloads(second));
    }

    [Fact]
    public async Task Source_honours_the_event_limit_mid_batch()
    {
        var path = Path.Combine(_dir, "c.arrow");
        await RunAsync($$$"""
            sources: [{name: gen, operator: synthetic, config: {count: 300, batch-size: 100}}]
            sinks: [{name: file, operator: arrow-file-sink, input: gen, config: {path: "{{{path}}}"}}]
            """);
        var loaded = PipelineLoader.Load($$$"""
            sources: [{name: replay, operator: arrow-file-source, config: {path: "{{{path}}}", repeat: 0}}]
            sinks: [{name: out, operator: count, input: replay}]
            """, "t.yaml");
        using var p = Pipeline.Create(PipelinePlanner.Plan(loaded.Spec!, Catalog()).Plan!, new PipelineOptions { EventLimit = 750 });
        var s = await p.RunAsync();
        Assert.Equal(new EventTotals(750, 750, 0, 0, 0), s.Events);
    }

    [Fact]
    public async Task Endless_replay_stops_when_intake_stops()
    {
        var path = Path.Combine(_dir, "e.arrow");
        await RunAsync($$$"""
            sources: [{name: gen, operator: synthetic, config: {count: 10, batch-size: 5}}]
            sinks: [{name: file, operator: arrow-file-sink, input: gen, config: {path: "{{{path}}}"}}]
            """);
        var loaded = PipelineLoader.Load($$$"""
            sources: [{name: replay, operator: arrow-file-source, config: {path: "{{{path}}}", repeat: 0}}]
            sinks: [{name: out, operator: count, input: replay}]
            """, "t.yaml");
        using var p = Pipeline.Create(PipelinePlanner.Plan(loaded.Spec!, Catalog()).Plan!, new PipelineOptions { Duration = TimeSpan.FromMilliseconds(300) });
        var s = await p.RunAsync().WaitAsync(TimeSpan.FromSeconds(20)); // regression: the replay loop once spun forever after cancellation
        Assert.StartsWith("duration", s.ExitReason, StringComparison.Ordinal);
        Assert.True(s.Events.Balanced);
    }

    [Fact]
    public void Missing_or_invalid_files_are_reported_when_the_pipeline_is_built()
    {
        var junk = Path.Combine(_dir, "junk.arrow");
        File.WriteAllText(junk, "not arrow");
        foreach (var (path, message) in new[] { (Path.Combine(_dir, "none.arrow"), "not found"), (junk, "not a readable Arrow IPC file") })
        {
            var loaded = PipelineLoader.Load($$$"""
                sources: [{name: replay, operator: arrow-file-source, config: {path: "{{{path}}}"}}]
                sinks: [{name: out, operator: count, input: replay}]
                """, "t.yaml");
            var d = Assert.Single(PipelinePlanner.Plan(loaded.Spec!, Catalog()).Diagnostics);
            Assert.Contains(message, d.Message, StringComparison.Ordinal);
            Assert.Equal(1, d.Location.Line);
        }
    }

    [Fact]
    public async Task Arrow_payload_batches_keep_their_columns()
    {
        // A processor that turns raw events into an Arrow payload (as a decoder does), written and read back.
        var decode = new OperatorDescriptor
        {
            Name = "to-arrow",
            Kind = OperatorKind.Processor,
            Description = "raw -> arrow/test",
            OutputType = "arrow/test",
            Factory = () => new ToArrow(),
        };
        var catalog = Catalog().Add(decode);
        var path = Path.Combine(_dir, "d.arrow");
        var loaded = PipelineLoader.Load($$$"""
            sources: [{name: gen, operator: synthetic, config: {count: 200, batch-size: 50}}]
            stages: [{name: dec, operator: to-arrow, input: gen}]
            sinks: [{name: file, operator: arrow-file-sink, input: dec, config: {path: "{{{path}}}"}}]
            """, "t.yaml");
        using (var p = Pipeline.Create(PipelinePlanner.Plan(loaded.Spec!, catalog).Plan!)) Assert.Equal(200, (await p.RunAsync()).Events.Processed);

        using var stream = File.OpenRead(path);
        using var reader = new ArrowFileReader(stream);
        Assert.Equal("arrow/test", reader.Schema.Metadata[EventColumns.DataTypeKey]);
        Assert.Contains("doubled", reader.Schema.FieldsList.Select(f => f.Name));
        using var rb = await reader.ReadNextRecordBatchAsync();
        var doubled = (UInt64Array)rb!.Column("doubled");
        var num = (UInt64Array)rb.Column("event_number");
        Assert.Equal(num.GetValue(3) * 2, doubled.GetValue(3));

        var planned = PipelinePlanner.Plan(PipelineLoader.Load($$$"""
            sources: [{name: replay, operator: arrow-file-source, config: {path: "{{{path}}}"}}]
            sinks: [{name: out, operator: count, input: replay}]
            """, "t.yaml").Spec!, catalog);
        Assert.Equal("arrow/test", planned.Plan!.Nodes[0].OutputType);
        using var replay = Pipeline.Create(planned.Plan);
        Assert.Equal(200, (await replay.RunAsync()).Events.Processed);
    }

    private static List<string> Payloads(string path)
    {
        var all = new List<string>();
        using var stream = File.OpenRead(path);
        using var reader = new ArrowFileReader(stream);
        while (reader.ReadNextRecordBatch() is { } rb)
        {
            using (rb)
            {
                var payload = (BinaryArray)rb.Column("payload");
                var num = (UInt64Array)rb.Column("event_number");
                for (var i = 0; i < rb.Length; i++) all.Add($"{num.GetValue(i)}:{Convert.ToHexString(payload.GetBytes(i))}");
            }
        }

        return all;
    }

    public void Dispose() => _tmp.Dispose();

    private sealed class ToArrow : IProcessor
    {
        public void Configure(OperatorConfig config)
        {
        }

        public void Reset()
        {
        }

        public Engine.Batches.EventBatch? Process(Engine.Batches.EventBatch input, ProcessContext context)
        {
            var b = new UInt64Array.Builder();
            var kept = new int[input.Count];
            for (var i = 0; i < input.Count; i++)
            {
                b.Append(input.Meta[i].EventNumber * 2);
                kept[i] = i;
            }

            var schema = new Schema([new Field("doubled", Apache.Arrow.Types.UInt64Type.Default, false)], null);
            return Engine.Batches.EventBatch.FromRecords(input, kept, "arrow/test", new RecordBatch(schema, [b.Build()], input.Count));
        }

        public void Dispose()
        {
        }
    }
}

using Streams.Engine.Batches;
using Streams.Engine.Metrics;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.TestKit;

namespace Streams.Engine.Tests;

/// <summary>A source's own metrics (<see cref="SourceContext.Metrics"/>, the contract's, no prometheus-net type) reach the run's registry.</summary>
public sealed class OperatorMetricsTests
{
    private sealed class CountingSource : ISource
    {
        public static OperatorDescriptor Descriptor => new()
        {
            Name = "counting-source",
            Kind = OperatorKind.Source,
            Description = "emits nothing; counts and gauges through the contract's metrics",
            Factory = () => new CountingSource(),
        };

        public void Configure(OperatorConfig config)
        {
        }

        public void Reset()
        {
        }

        public Task RunAsync(SourceContext context, CancellationToken cancellationToken)
        {
            var things = context.Metrics.Counter("streams_test_things_total", "Things a test source counted.");
            things.Inc(2);
            context.Metrics.Counter("streams_test_things_total", "Things a test source counted.").Inc(); // the same counter
            context.Metrics.Gauge("streams_test_level", "A level a test source set.").SetTo(0.25);
            return Task.CompletedTask;
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task A_source_s_counters_and_gauges_are_exported_with_the_pipeline_and_stage_labels()
    {
        var registry = MetricsRegistry.CreatePrivate();
        await Pipelines.RunAsync("""
            name: t
            sources: [{name: src, operator: counting-source}]
            sinks: [{name: out, operator: count, input: src}]
            """, new PipelineOptions { Registry = registry }, Catalogs.Builtin(CountingSource.Descriptor));
        var text = await registry.ExportTextAsync();
        Assert.Contains("streams_test_things_total{pipeline=\"t\",stage=\"src\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("streams_test_level{pipeline=\"t\",stage=\"src\"} 0.25", text, StringComparison.Ordinal);
    }
}

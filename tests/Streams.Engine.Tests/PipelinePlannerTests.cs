using Streams.Engine.Batches;
using Streams.Engine.Operators;

namespace Streams.Engine.Tests;

public class PipelinePlannerTests
{
    private static string Wrap(string sources, string stages, string sinks) =>
        $"sources:\n{sources}\nstages:\n{stages}\nsinks:\n{sinks}\n";

    private const string Gen = "  - {name: gen, operator: synthetic}";
    private const string Out = "  - {name: out, operator: count, input: work}";

    [Theory]
    [InlineData("  - {name: work, operator: nosuch, input: gen}", "unknown operator 'nosuch'")]
    [InlineData("  - {name: work, operator: count, input: gen}", "operator 'count' is a sink")]
    [InlineData("  - {name: work, operator: cpu-burn, input: gen, config: {work-ms: 1}}", "unknown parameter 'work-ms'")]
    [InlineData("  - {name: work, operator: cpu-burn, input: gen, config: {work-us: lots}}", "work-us")]
    [InlineData("  - {name: work, operator: cpu-burn, input: gen, config: {work-us: -1}}", "work-us")]
    [InlineData("  - {name: work, operator: fault-inject, input: gen, config: {severity: mild}}", "severity")]
    [InlineData("  - {name: work, operator: cpu-burn, input: nowhere}", "'nowhere', which is not defined")]
    [InlineData("  - {name: work, operator: cpu-burn, input: work}", "takes input from itself")]
    [InlineData("  - {name: work, operator: cpu-burn}", "has no input")]
    [InlineData("  - {name: work, operator: cpu-burn, inputs: [gen, gen]}", "twice")]
    [InlineData("  - {name: work, operator: cpu-burn, input: gen}\n  - {name: work, operator: noop, input: gen}", "duplicate name 'work'")]
    [InlineData("  - {name: work, operator: cpu-burn, input: gen}\n  - {name: idle, operator: noop, input: gen}", "'idle' feeds nothing")]
    [InlineData("  - {name: work, operator: cpu-burn, inputs: [gen, loop]}\n  - {name: loop, operator: noop, input: work}", "cycle")]
    public void Wiring_and_operator_mistakes_are_reported(string stages, string message)
    {
        var problems = TestPipelines.Problems(Wrap(Gen, stages, Out));
        var d = problems.FirstOrDefault(p => p.Message.Contains(message, StringComparison.Ordinal));
        Assert.True(d is not null, $"no '{message}' among: {string.Join("; ", problems)}");
        Assert.True(d.Location.Line > 0, d.ToString());
    }

    [Fact]
    public void Unknown_operator_lists_the_known_ones()
    {
        var d = Assert.Single(TestPipelines.Problems(Wrap(Gen, "  - {name: work, operator: cpuburn, input: gen}", Out)));
        Assert.Contains("cpu-burn", d.Message, StringComparison.Ordinal);
        Assert.Equal(new Spec.SourceLocation("test.yaml", 4, 28), d.Location);
    }

    [Fact]
    public void Input_from_a_sink_is_rejected()
    {
        var yaml = Wrap(Gen, "  - {name: work, operator: noop, input: gen}", "  - {name: out, operator: count, input: work}\n  - {name: out2, operator: count, input: out}");
        Assert.Contains(TestPipelines.Problems(yaml), p => p.Message.Contains("from sink 'out'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_source_cannot_have_an_input()
    {
        var yaml = Wrap("  - {name: gen, operator: synthetic}\n  - {name: gen2, operator: synthetic, input: gen}", "  - {name: work, operator: noop, inputs: [gen, gen2]}", Out);
        Assert.Contains(TestPipelines.Problems(yaml), p => p.Message.Contains("source 'gen2' cannot have an input", StringComparison.Ordinal));
    }

    [Fact]
    public void Sources_run_one_instance()
    {
        var yaml = Wrap("  - {name: gen, operator: synthetic, workers: 2}", "  - {name: work, operator: noop, input: gen}", Out);
        Assert.Contains(TestPipelines.Problems(yaml), p => p.Message.Contains("runs as one instance", StringComparison.Ordinal));
    }

    [Fact]
    public void Data_types_are_checked_when_the_pipeline_is_built()
    {
        var wants = new OperatorDescriptor
        {
            Name = "wants-hits",
            Kind = OperatorKind.Processor,
            Description = "accepts only arrow/hits",
            InputTypes = ["arrow/hits"],
            Factory = () => new Builtins.NoOp(),
        };
        var problems = TestPipelines.Problems(Wrap(Gen, "  - {name: work, operator: wants-hits, input: gen}", Out), TestPipelines.Catalog(wants));
        var d = Assert.Single(problems);
        Assert.Contains("type mismatch: 'gen' produces 'binary/synthetic'", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pass_through_operators_carry_their_input_type()
    {
        var plan = TestPipelines.Plan(Wrap(Gen, "  - {name: work, operator: noop, input: gen}", Out));
        Assert.Equal(DataTypes.SyntheticBytes, plan.Nodes.Single(n => n.Name == "work").OutputType);
    }

    [Fact]
    public void Operator_worker_limits_are_enforced()
    {
        var single = Builtins.CountSink.Descriptor with { Name = "single", MaxWorkers = 1 };
        var yaml = Wrap(Gen, "  - {name: work, operator: noop, input: gen}", "  - {name: out, operator: single, input: work, workers: 3}");
        Assert.Contains(TestPipelines.Problems(yaml, TestPipelines.Catalog(single)), p => p.Message.Contains("at most 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Default_worker_ceiling_follows_workers_and_max_workers()
    {
        var plan = TestPipelines.Plan(Wrap(Gen, "  - {name: work, operator: noop, input: gen, workers: 2, max-workers: 5}", Out));
        Assert.Equal(5, plan.Nodes.Single(n => n.Name == "work").MaxWorkers);
    }
}

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
        var problems = Pipelines.Problems(Wrap(Gen, stages, Out));
        var d = problems.FirstOrDefault(p => p.Message.Contains(message, StringComparison.Ordinal));
        Assert.True(d is not null, $"no '{message}' among: {string.Join("; ", problems)}");
        Assert.True(d.Location.Line > 0, d.ToString());
    }

    [Fact]
    public void Unknown_operator_lists_the_known_ones()
    {
        var d = Assert.Single(Pipelines.Problems(Wrap(Gen, "  - {name: work, operator: cpuburn, input: gen}", Out)));
        Assert.Contains("cpu-burn", d.Message, StringComparison.Ordinal);
        Assert.Equal(new Operators.SourceLocation("test.yaml", 4, 28), d.Location);
    }

    [Fact]
    public void Input_from_a_sink_is_rejected()
    {
        var yaml = Wrap(Gen, "  - {name: work, operator: noop, input: gen}", "  - {name: out, operator: count, input: work}\n  - {name: out2, operator: count, input: out}");
        Assert.Contains(Pipelines.Problems(yaml), p => p.Message.Contains("from sink 'out'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_source_cannot_have_an_input()
    {
        var yaml = Wrap("  - {name: gen, operator: synthetic}\n  - {name: gen2, operator: synthetic, input: gen}", "  - {name: work, operator: noop, inputs: [gen, gen2]}", Out);
        Assert.Contains(Pipelines.Problems(yaml), p => p.Message.Contains("source 'gen2' cannot have an input", StringComparison.Ordinal));
    }

    [Fact]
    public void Sources_run_one_instance()
    {
        var yaml = Wrap("  - {name: gen, operator: synthetic, workers: 2}", "  - {name: work, operator: noop, input: gen}", Out);
        Assert.Contains(Pipelines.Problems(yaml), p => p.Message.Contains("runs as one instance", StringComparison.Ordinal));
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
            Factory = () => new Streams.Operators.Builtin.NoOp(),
        };
        var problems = Pipelines.Problems(Wrap(Gen, "  - {name: work, operator: wants-hits, input: gen}", Out), Catalogs.Builtin(wants));
        var d = Assert.Single(problems);
        Assert.Contains("type mismatch: 'gen' produces 'binary/synthetic'", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pass_through_operators_carry_their_input_type()
    {
        var plan = Pipelines.Plan(Wrap(Gen, "  - {name: work, operator: noop, input: gen}", Out));
        Assert.Equal(DataTypes.SyntheticBytes, plan.Nodes.Single(n => n.Name == "work").OutputType);
    }

    [Fact]
    public void Operator_worker_limits_are_enforced()
    {
        var single = Streams.Operators.Builtin.CountSink.Descriptor with { Name = "single", MaxWorkers = 1 };
        var yaml = Wrap(Gen, "  - {name: work, operator: noop, input: gen}", "  - {name: out, operator: single, input: work, workers: 3}");
        Assert.Contains(Pipelines.Problems(yaml, Catalogs.Builtin(single)), p => p.Message.Contains("at most 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Default_worker_ceiling_follows_workers_and_max_workers()
    {
        var plan = Pipelines.Plan(Wrap(Gen, "  - {name: work, operator: noop, input: gen, workers: 2, max-workers: 5}", Out));
        Assert.Equal(5, plan.Nodes.Single(n => n.Name == "work").MaxWorkers);
    }

    [Fact]
    public void A_misspelt_operator_gets_did_you_mean()
    {
        var d = Assert.Single(Pipelines.Problems(Wrap(Gen, "  - {name: work, operator: cpu-brun, input: gen}", Out)));
        Assert.StartsWith("unknown operator 'cpu-brun' for stage 'work'; did you mean cpu-burn?", d.Message, StringComparison.Ordinal);
        d = Assert.Single(Pipelines.Problems(Wrap(Gen, "  - {name: work, operator: quantum, input: gen}", Out)));
        Assert.DoesNotContain("did you mean", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_parameter_gets_did_you_mean()
    {
        var d = Assert.Single(Pipelines.Problems(Wrap(Gen, "  - {name: work, operator: cpu-burn, input: gen, config: {wrok-us: 1}}", Out)));
        Assert.StartsWith("unknown parameter 'wrok-us' for stage 'work'; did you mean work-us?", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_parameter_too_large_is_out_of_range()
    {
        var d = Assert.Single(Pipelines.Problems(Wrap("  - {name: gen, operator: synthetic, config: {count: 99999999999999999999999}}", "  - {name: work, operator: noop, input: gen}", Out)));
        Assert.Contains("(it is out of range)", d.Message, StringComparison.Ordinal);
        Assert.Contains("0..9223372036854775807", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_stages_on_a_cycle_are_called_part_of_one()
    {
        // gen -> a <-> b -> c -> out: a and b are the cycle; c only takes its output.
        var yaml = Wrap(Gen, "  - {name: a, operator: noop, inputs: [gen, b]}\n  - {name: b, operator: noop, input: a}\n  - {name: work, operator: noop, input: b}", Out);
        var problems = Pipelines.Problems(yaml);
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Message.StartsWith("'a' is part of a cycle (a -> b -> a)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Message.StartsWith("'b' is part of a cycle (b -> a -> b)", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Message.Contains("'work'", StringComparison.Ordinal) || p.Message.Contains("'out'", StringComparison.Ordinal));
    }

    [Fact]
    public void Loader_and_planner_problems_come_in_one_pass_in_file_order()
    {
        var loaded = Spec.PipelineLoader.Load(Wrap(Gen, "  - {name: work, operator: cpu-brun, input: gen, queue: zero}", "  - {name: out, operator: count, input: work, config: {nope: 1}}"), "test.yaml");
        var planned = Spec.PipelinePlanner.Plan(loaded, Catalogs.Builtin());
        Assert.False(planned.Ok);
        var messages = planned.Diagnostics.Select(d => d.Message).ToList();
        Assert.Equal(3, messages.Count);
        Assert.StartsWith("unknown operator 'cpu-brun'", messages[0], StringComparison.Ordinal);
        Assert.StartsWith("'queue' of 'work' is 'zero'", messages[1], StringComparison.Ordinal);
        Assert.StartsWith("unknown parameter 'nope'", messages[2], StringComparison.Ordinal);
    }

    [Fact]
    public void An_entry_the_loader_could_not_read_is_not_also_called_undefined()
    {
        // 'work' has no operator (a loader error); 'out' takes its input: only the missing operator is reported.
        var loaded = Spec.PipelineLoader.Load(Wrap(Gen, "  - {name: work, input: gen}", Out), "test.yaml");
        var d = Assert.Single(Spec.PipelinePlanner.Plan(loaded, Catalogs.Builtin()).Diagnostics);
        Assert.Contains("has no 'operator'", d.Message, StringComparison.Ordinal);
    }
}

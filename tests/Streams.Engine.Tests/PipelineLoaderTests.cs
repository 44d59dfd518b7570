using Streams.Engine.Operators;
using Streams.Engine.Spec;

namespace Streams.Engine.Tests;

public class PipelineLoaderTests
{
    private const string Complete = """
        name: demo
        description: a complete native pipeline
        metrics:
          listen: 0.0.0.0:9500
        sources:
          - name: gen
            operator: synthetic
            config:
              rate: 1000
              event-size: 64
        stages:
          - name: work
            operator: cpu-burn
            input: gen
            workers: 3
            max-workers: 8
            queue: 32
            config: { work-us: 5 }
        sinks:
          - name: out
            operator: count
            inputs: [work]
        """;

    [Fact]
    public void Native_file_loads_every_section()
    {
        var r = PipelineLoader.Load(Complete, "demo.yaml");
        Assert.True(r.Ok, string.Join("\n", r.Diagnostics));
        var s = r.Spec!;
        Assert.Equal("demo", s.Name);
        Assert.Equal("native", s.Format);
        Assert.Equal("0.0.0.0:9500", s.MetricsListen);
        Assert.Equal(["gen", "work", "out"], s.Nodes.Select(n => n.Name));
        var work = s.Nodes[1];
        Assert.Equal(NodeRole.Stage, work.Role);
        Assert.Equal("cpu-burn", work.Operator);
        Assert.Equal(3, work.Workers);
        Assert.Equal(8, work.MaxWorkers);
        Assert.Equal(32, work.Queue);
        Assert.Equal("5", work.Config["work-us"].Scalar);
        Assert.Equal("gen", Assert.Single(work.Inputs).Name);
        Assert.Equal(new SourceLocation("demo.yaml", 12, 11), work.Location);
        Assert.Equal(NodeRole.Sink, s.Nodes[2].Role);
    }

    [Fact]
    public void Defaults_apply_when_workers_and_queue_are_absent()
    {
        var s = PipelineLoader.Load("sources: [{name: a, operator: synthetic}]\nsinks: [{name: b, operator: count, input: a}]", "f.yaml").Spec!;
        Assert.Equal(1, s.Nodes[1].Workers);
        Assert.Equal(PipelineSpec.DefaultQueueBatches, s.Nodes[1].Queue);
        Assert.Null(s.MetricsListen);
    }

    [Theory]
    [InlineData("sources: [\n  - name: a\n    operator: [x\n", 2, "YAML syntax")]
    [InlineData("- just\n- a list\n", 1, "must be a mapping")]
    [InlineData("sinks:\n  - {name: b, operator: count, input: a}\n", 1, "no 'sources' section")]
    [InlineData("sources:\n  - {name: a, operator: synthetic}\n", 1, "no 'sinks' section")]
    [InlineData("sources:\n  - {name: a, operator: synthetic}\nsinks:\n  - {name: b, operator: count, input: a}\nstagez: []\n", 5, "unknown key 'stagez'")]
    [InlineData("sources:\n  - {name: a, operator: synthetic}\nsinks:\n  - {name: b, operator: count, input: a, wrokers: 2}\n", 4, "unknown key 'wrokers'")]
    [InlineData("sources:\n  - {operator: synthetic}\nsinks:\n  - {name: b, operator: count, input: a}\n", 2, "has no 'name'")]
    [InlineData("sources:\n  - {name: a}\nsinks:\n  - {name: b, operator: count, input: a}\n", 2, "has no 'operator'")]
    [InlineData("sources:\n  - {name: a, operator: synthetic}\nsinks:\n  - {name: b, operator: count, input: a, workers: many}\n", 4, "expected a whole number")]
    [InlineData("sources:\n  - {name: a, operator: synthetic}\nsinks:\n  - {name: b, operator: count, input: a, workers: 0}\n", 4, "expected 1..")]
    [InlineData("sources:\n  - {name: a, operator: synthetic}\nsinks:\n  - {name: b, operator: count, input: a, queue: -1}\n", 4, "expected 1..")]
    [InlineData("sources:\n  - {name: a, operator: synthetic}\nsinks:\n  - {name: b, operator: count, input: a, workers: 4, max-workers: 2}\n", 4, "below its 'workers'")]
    [InlineData("metrics:\n  listen: localhost\nsources:\n  - {name: a, operator: synthetic}\nsinks:\n  - {name: b, operator: count, input: a}\n", 2, "not HOST:PORT")]
    [InlineData("metrics:\n  listen: localhost:99999\nsources:\n  - {name: a, operator: synthetic}\nsinks:\n  - {name: b, operator: count, input: a}\n", 2, "port must be")]
    [InlineData("sources: {name: a}\nsinks:\n  - {name: b, operator: count, input: a}\n", 1, "must be a list")]
    [InlineData("sources:\n  - {name: a, operator: synthetic, config: [1, 2]}\nsinks:\n  - {name: b, operator: count, input: a}\n", 2, "must be a mapping")]
    [InlineData("sources:\n  - {name: a, operator: synthetic, config: {rate: {x: 1}}}\nsinks:\n  - {name: b, operator: count, input: a}\n", 2, "must be a value or a list")]
    public void Mistakes_are_reported_with_file_line_and_column(string yaml, int line, string message)
    {
        var r = PipelineLoader.Load(yaml, "bad.yaml");
        Assert.False(r.Ok);
        var d = Assert.Single(r.Diagnostics, x => x.Message.Contains(message, StringComparison.Ordinal));
        Assert.Equal("bad.yaml", d.Location.File);
        Assert.Equal(line, d.Location.Line);
        Assert.True(d.Location.Column >= 1, d.ToString());
        Assert.StartsWith($"bad.yaml:{line}:", d.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_a_diagnostic_not_an_exception()
    {
        var r = PipelineLoader.LoadFile("/nonexistent/pipeline.yaml");
        Assert.False(r.Ok);
        var d = Assert.Single(r.Diagnostics);
        Assert.Equal("no such file", d.Message);
        Assert.Equal("/nonexistent/pipeline.yaml", d.Location.ToString());
    }

    [Fact]
    public void Several_mistakes_are_all_reported()
    {
        var r = PipelineLoader.Load("sources:\n  - {name: a, operator: synthetic, workers: x}\nsinks:\n  - {name: b, input: a, colour: red}\n", "f.yaml");
        Assert.True(r.Diagnostics.Count >= 3, string.Join("\n", r.Diagnostics));
    }

    [Fact]
    public void A_tab_in_the_indentation_is_reported_where_the_tab_is()
    {
        // YamlDotNet notices it at the end of line 3 (3:20); the tab is the first character of line 4.
        var r = PipelineLoader.Load("sources:\n  - name: gen\n    operator: synthetic\n\tconfig: {}\n", "tab.yaml");
        var d = Assert.Single(r.Diagnostics);
        Assert.Equal(new SourceLocation("tab.yaml", 4, 1), d.Location);
        Assert.Contains("tab", d.Message, StringComparison.Ordinal);

        r = PipelineLoader.Load("name: x\nsources: []\nsinks: []\nextra:\n  - a\n  \t- b\n", "tab2.yaml");
        Assert.Equal(new SourceLocation("tab2.yaml", 6, 3), Assert.Single(r.Diagnostics).Location);
    }

    [Theory]
    [InlineData("queue: 99999999999", "'queue' of 'b' is 99999999999, out of range; expected 1..65536")]
    [InlineData("queue: 70000", "'queue' of 'b' is 70000; expected 1..65536")]
    [InlineData("workers: 99999999999999999999", "out of range; expected 1..1024")]
    [InlineData("queue: lots", "'queue' of 'b' is 'lots'; expected a whole number 1..65536")]
    public void A_number_too_large_is_out_of_range_not_a_non_number(string field, string message)
    {
        var r = PipelineLoader.Load($"sources:\n  - {{name: a, operator: synthetic}}\nsinks:\n  - {{name: b, operator: count, input: a, {field}}}\n", "f.yaml");
        Assert.Contains(message, Assert.Single(r.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_gets_the_closest_known_one()
    {
        var r = PipelineLoader.Load("sources:\n  - {name: a, operator: synthetic}\nsinks:\n  - {name: b, operator: count, input: a, wrokers: 2}\nstagez: []\n", "f.yaml");
        Assert.Contains(r.Diagnostics, d => d.Message.StartsWith("unknown key 'wrokers' in sinks entry; did you mean workers?", StringComparison.Ordinal));
        Assert.Contains(r.Diagnostics, d => d.Message.StartsWith("unknown key 'stagez' in the pipeline; did you mean stages?", StringComparison.Ordinal));
        r = PipelineLoader.Load("sources:\n  - {name: a, operator: synthetic}\nsinks:\n  - {name: b, operator: count, input: a, colour: red}\n", "f.yaml");
        Assert.DoesNotContain("did you mean", Assert.Single(r.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_is_not_a_pipeline_file()
    {
        var dir = Directory.CreateTempSubdirectory("streams-loader-").FullName;
        try
        {
            var d = Assert.Single(PipelineLoader.LoadFile(dir).Diagnostics);
            Assert.Equal(dir, d.Location.ToString());
            Assert.StartsWith("is a directory", d.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void Read_errors_are_said_in_a_few_words()
    {
        Assert.Equal("permission denied", PipelineLoader.ReadError(new UnauthorizedAccessException("Access to the path '/x' is denied.")));
        Assert.Equal("no such file", PipelineLoader.ReadError(new DirectoryNotFoundException("Could not find a part of the path '/x/y'.")));
        Assert.Equal("no such file", PipelineLoader.ReadError(new FileNotFoundException("Could not find file '/x'.")));
    }
}

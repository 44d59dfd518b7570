using Streams.Engine.Spec;

namespace Streams.Engine.Tests;

public class ErsapShapeTests
{
    private const string Services = """
        ---
        io-services:
          reader:
            class: synthetic
            name: Source
          writer:
            class: count
            name: Sink
        services:
          - class: fault-inject
            name: Filter
          - class: cpu-burn
            name: Burner
        configuration:
          global:
            work-us: 7
            fail-every: 100
          io-services:
            reader:
              count: 500
              batch-size: 50
          services:
            Burner:
              work-us: 3
              threads: 2
        mime-types:
          - binary/synthetic
        """;

    [Fact]
    public void Services_yaml_loads_into_the_same_model_as_native()
    {
        var r = PipelineLoader.Load(Services, "services.yaml");
        Assert.True(r.Ok, string.Join("\n", r.Diagnostics));
        var s = r.Spec!;
        Assert.Equal("ersap", s.Format);
        Assert.Equal(["Source", "Filter", "Burner", "Sink"], s.Nodes.Select(n => n.Name));
        Assert.Equal([NodeRole.Source, NodeRole.Stage, NodeRole.Stage, NodeRole.Sink], s.Nodes.Select(n => n.Role));
        Assert.Equal("Filter", Assert.Single(s.Nodes[2].Inputs).Name);
        Assert.Equal("Burner", Assert.Single(s.Nodes[3].Inputs).Name);
        Assert.Equal(2, s.Nodes[2].Workers);
        Assert.Equal("500", s.Nodes[0].Config["count"].Scalar);
    }

    [Fact]
    public void A_service_block_overrides_global_and_global_reaches_only_declared_parameters()
    {
        var plan = Pipelines.Plan(Services);
        var burner = plan.Nodes.Single(n => n.Name == "Burner");
        Assert.Equal(3.0, burner.Config.GetDouble("work-us"));
        var filter = plan.Nodes.Single(n => n.Name == "Filter");
        Assert.Equal(100, filter.Config.GetLong("fail-every"));
        // fail-every is global but the source does not declare it: not an error, simply not applied.
        Assert.False(plan.Nodes[0].Config.IsSet("fail-every"));
    }

    [Fact]
    public async Task Services_yaml_runs_and_balances()
    {
        var s = await Pipelines.RunAsync(Services);
        Assert.Equal(500, s.Events.Received);
        Assert.Equal(5, s.Events.Failed); // event numbers 0, 100, ..., 400
        Assert.Equal(495, s.Events.Processed);
        Assert.True(s.Events.Balanced);
    }

    [Fact]
    public async Task Data_processing_and_monitoring_chains_are_supported()
    {
        const string yaml = """
            io-services:
              reader: { class: synthetic, name: R }
              writer: { class: count, name: W }
            services:
              data-processing:
                chain:
                  - { class: noop, name: P1 }
              monitoring:
                chain:
                  - { class: count, name: M1 }
            configuration:
              io-services:
                reader: { count: 100 }
            """;
        var plan = Pipelines.Plan(yaml);
        Assert.Equal(["R", "P1", "W", "M1"], plan.Nodes.Select(n => n.Name));
        var s = await Pipelines.RunAsync(yaml);
        Assert.Equal(100, s.Stage("W").EventsIn);
        Assert.Equal(100, s.Stage("M1").EventsIn);
        Assert.Equal(100, s.Events.Processed); // delivered down both paths counts once
    }

    [Theory]
    [InlineData("services:\n  - {class: noop, name: P}\n", "no 'io-services'")]
    [InlineData("io-services:\n  reader: {class: synthetic, name: R}\n", "has no 'writer'")]
    [InlineData("io-services:\n  reader: {name: R}\n  writer: {class: count, name: W}\n", "has no 'class'")]
    [InlineData("io-services:\n  reader: {class: synthetic, name: R}\n  writer: {class: count, name: W}\nconfiguration:\n  services:\n    Ghost: {x: 1}\n", "which is not in 'services'")]
    [InlineData("io-services:\n  reader: {class: synthetic, name: R}\n  writer: {class: count, name: W}\nservices:\n  - {class: noop, name: P, lang: fortran}\n", "'lang' is 'fortran'")]
    public void Services_yaml_mistakes_are_located(string yaml, string message)
    {
        var r = PipelineLoader.Load(yaml, "services.yaml");
        Assert.False(r.Ok);
        var d = Assert.Single(r.Diagnostics, x => x.Message.Contains(message, StringComparison.Ordinal));
        Assert.True(d.Location.Line >= 1);
        Assert.Equal("services.yaml", d.Location.File);
    }

    [Fact]
    public void Every_mistake_of_a_services_yaml_is_reported_in_one_pass()
    {
        const string yaml = """
            io-services:
              reader: {class: synthetic, name: R}
              writer: {class: count, name: W, bogus: 1}
            services:
              - {class: cpu-brun, name: S1}
              - {class: noop, name: S2, queue: zero}
            configuration:
              services:
                S2: {nope: 1}
            """;
        var planned = PipelinePlanner.Plan(PipelineLoader.Load(yaml, "services.yaml"), Catalogs.Builtin());
        Assert.False(planned.Ok);
        Assert.Equal([3, 5, 6, 9], planned.Diagnostics.Select(d => d.Location.Line));
        Assert.Contains("unknown key 'bogus'", planned.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Contains("did you mean cpu-burn?", planned.Diagnostics[1].Message, StringComparison.Ordinal);
        Assert.Contains("'queue' of 'S2'", planned.Diagnostics[2].Message, StringComparison.Ordinal);
        Assert.Contains("unknown parameter 'nope'", planned.Diagnostics[3].Message, StringComparison.Ordinal);
    }
}

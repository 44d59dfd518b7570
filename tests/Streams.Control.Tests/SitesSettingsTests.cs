using Streams.Control.Live;
using Streams.Engine.Operators;
using Streams.TestKit;

namespace Streams.Control.Tests;

public sealed class SitesSettingsTests
{
    private static string Deploy([System.Runtime.CompilerServices.CallerFilePath] string here = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "deploy"));

    private static string Pipeline(string control) => $$"""
        name: t
        control: {{{control}}}
        sources: [{name: s, operator: synthetic}]
        stages: [{name: w, operator: noop, input: s, placement: workers}]
        sinks: [{name: o, operator: count, input: w}]
        """;

    [Fact]
    public void Control_sites_names_a_sites_file_relative_to_the_pipeline_and_sizes_the_pool_by_it()
    {
        var plan = Pipelines.Plan(Pipeline("sites: sites/three-sites.yaml, service-rate: 800"), file: Path.Combine(Deploy(), "elastic-sites.yaml"));
        var nodes = ControllerSettings.From(plan)!.Nodes!;
        Assert.Equal("sites", nodes.Provider);
        Assert.Equal(["local", "hpc", "cloud"], nodes.Sites!.Select(s => s.Name));
        Assert.Equal(16, nodes.Cores);
        Assert.Equal(1 + 5 + 5, nodes.MaxNodes); // quota, cores and bandwidth of each site
        Assert.Contains("w", ControllerSettings.From(plan)!.Stages);
    }

    [Fact]
    public void A_missing_sites_file_or_a_second_provider_is_an_error_at_its_key()
    {
        var file = Path.Combine(Deploy(), "elastic-sites.yaml");
        var missing = Assert.Throws<ConfigException>(() => ControllerSettings.From(Pipelines.Plan(Pipeline("sites: nowhere.yaml, service-rate: 800"), file: file)));
        Assert.Contains("no such file", missing.Message, StringComparison.Ordinal);
        Assert.Equal(2, missing.Location!.Value.Line);
        var both = Assert.Throws<ConfigException>(() => ControllerSettings.From(Pipelines.Plan(Pipeline("sites: sites/three-sites.yaml, node-provider: slurm, service-rate: 800"), file: file)));
        Assert.Contains("give one of them", both.Message, StringComparison.Ordinal);
    }
}

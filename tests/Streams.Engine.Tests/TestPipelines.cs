using Streams.Engine.Builtins;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;

namespace Streams.Engine.Tests;

/// <summary>Loads, plans and runs pipelines written inline as YAML.</summary>
internal static class TestPipelines
{
    public static OperatorCatalog Catalog(params OperatorDescriptor[] extra)
    {
        var c = BuiltinOperators.Register(new OperatorCatalog());
        foreach (var d in extra) c.Add(d);
        return c;
    }

    public static PipelinePlan Plan(string yaml, OperatorCatalog? catalog = null)
    {
        var loaded = PipelineLoader.Load(yaml, "test.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Diagnostics));
        var planned = PipelinePlanner.Plan(loaded.Spec!, catalog ?? Catalog());
        Assert.True(planned.Ok, string.Join("\n", planned.Diagnostics));
        return planned.Plan!;
    }

    /// <summary>Diagnostics from loading and (if loading succeeded) planning.</summary>
    public static IReadOnlyList<Diagnostic> Problems(string yaml, OperatorCatalog? catalog = null)
    {
        var loaded = PipelineLoader.Load(yaml, "test.yaml");
        if (!loaded.Ok) return loaded.Diagnostics;
        return PipelinePlanner.Plan(loaded.Spec!, catalog ?? Catalog()).Diagnostics;
    }

    public static async Task<PipelineSummary> RunAsync(string yaml, PipelineOptions? options = null, OperatorCatalog? catalog = null)
    {
        using var p = Pipeline.Create(Plan(yaml, catalog), options);
        return await p.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    public static StageSummary Stage(this PipelineSummary s, string name) => s.Stages.Single(x => x.Name == name);
}

using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;

namespace Streams.TestKit;

/// <summary>Loads, plans and runs pipelines written inline as YAML (with the builtin operators unless a catalog is given).</summary>
public static class Pipelines
{
    /// <summary>How long <see cref="RunAsync"/> lets a run take before it fails the test.</summary>
    public static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The plan of <paramref name="yaml"/>, read as the file <paramref name="file"/>; fails the test, listing every
    /// problem, when the file does not load or plan.
    /// </summary>
    public static PipelinePlan Plan(string yaml, OperatorCatalog? catalog = null, string file = "test.yaml")
    {
        var loaded = PipelineLoader.Load(yaml, file);
        Assert.True(loaded.Ok, string.Join("\n", loaded.Diagnostics));
        var planned = PipelinePlanner.Plan(loaded.Spec!, catalog ?? Catalogs.Builtin());
        Assert.True(planned.Ok, string.Join("\n", planned.Diagnostics));
        return planned.Plan!;
    }

    /// <summary>The problems of <paramref name="yaml"/>: the loader's, and the planner's when it loaded.</summary>
    public static IReadOnlyList<Diagnostic> Problems(string yaml, OperatorCatalog? catalog = null, string file = "test.yaml")
    {
        var loaded = PipelineLoader.Load(yaml, file);
        if (!loaded.Ok) return loaded.Diagnostics;
        return PipelinePlanner.Plan(loaded.Spec!, catalog ?? Catalogs.Builtin()).Diagnostics;
    }

    /// <summary>
    /// Plans and runs <paramref name="yaml"/> to its end; fails the test when the run takes longer than
    /// <paramref name="limit"/> (<see cref="RunLimit"/> when null).
    /// </summary>
    public static async Task<PipelineSummary> RunAsync(string yaml, PipelineOptions? options = null, OperatorCatalog? catalog = null, TimeSpan? limit = null)
    {
        using var p = Pipeline.Create(Plan(yaml, catalog), options);
        return await p.RunAsync().WaitAsync(limit ?? RunLimit);
    }

    /// <summary>The summary of the stage named <paramref name="name"/>.</summary>
    public static StageSummary Stage(this PipelineSummary summary, string name)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return summary.Stages.Single(x => x.Name == name);
    }
}

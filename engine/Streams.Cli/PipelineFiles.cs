using Streams.Engine.Operators;
using Streams.Engine.Spec;

namespace Streams.Cli;

/// <summary>Loads and plans a pipeline file (or the embedded default), printing located errors.</summary>
internal static class PipelineFiles
{
    public const string DefaultName = "<default pipeline>";

    public static string ReadDefault()
    {
        using var stream = typeof(PipelineFiles).Assembly.GetManifestResourceStream("default.yaml")
            ?? throw new InvalidOperationException("the default pipeline is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Loads and plans <paramref name="path"/> (null: the default); on failure prints every problem and returns null.</summary>
    public static PipelinePlan? LoadAndPlan(string? path, OperatorCatalog catalog, TextWriter errors)
    {
        var loaded = path is null ? PipelineLoader.Load(ReadDefault(), DefaultName) : PipelineLoader.LoadFile(path);
        if (!loaded.Ok)
        {
            Report(loaded.Diagnostics, errors);
            return null;
        }

        var planned = PipelinePlanner.Plan(loaded.Spec!, catalog);
        if (!planned.Ok)
        {
            Report(planned.Diagnostics, errors);
            return null;
        }

        return planned.Plan;
    }

    private static void Report(IReadOnlyList<Diagnostic> diagnostics, TextWriter errors)
    {
        foreach (var d in diagnostics) errors.WriteLine($"{d.Location}: error: {d.Message}");
        errors.WriteLine($"{diagnostics.Count} error(s)");
    }
}

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

    /// <summary>Loads and plans <paramref name="path"/> (null: the default); on failure prints every problem (loader's and planner's, in one pass) and returns null.</summary>
    public static PipelinePlan? LoadAndPlan(string? path, OperatorCatalog catalog, TextWriter errors)
    {
        var loaded = path is null ? PipelineLoader.Load(ReadDefault(), DefaultName) : PipelineLoader.LoadFile(path);
        var planned = PipelinePlanner.Plan(loaded, catalog);
        if (planned.Ok) return planned.Plan;
        Report(planned.Diagnostics, errors);
        return null;
    }

    private static void Report(IReadOnlyList<Diagnostic> diagnostics, TextWriter errors)
    {
        // A file that could not be read at all (line 0) is one line: "error: PATH: is a directory".
        if (diagnostics is [{ Location.Line: 0 } only])
        {
            errors.WriteLine($"error: {only.Location}: {only.Message}");
            return;
        }

        foreach (var d in diagnostics) errors.WriteLine($"{d.Location}: error: {d.Message}");
        errors.WriteLine($"{diagnostics.Count} error(s)");
    }
}

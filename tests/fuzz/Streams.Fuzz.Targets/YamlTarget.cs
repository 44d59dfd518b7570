using System.Text;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Spec;
using Streams.Operators.Clas12;
using Streams.Transports.Ejfat;
using Streams.Transports.Files;
using Streams.Transports.ZeroMq.Operators;

namespace Streams.Fuzz.Targets;

/// <summary>
/// Pipeline YAML (native and ERSAP shape): the input is the file's text. It goes through
/// <see cref="PipelineLoader.Load"/> and, when that gives a spec, <see cref="PipelinePlanner.Plan(PipelineSpec, OperatorCatalog)"/> with the real
/// operator catalog (that of the <c>streams</c> command). Checked: no exception; a rejected file has at least one
/// diagnostic, each with a message and a line inside the file; no huge allocation.
/// </summary>
public static class YamlTarget
{
    /// <summary>Every operator the <c>streams</c> command knows (as in Streams.Cli's OperatorSet).</summary>
    public static OperatorCatalog Catalog { get; } = CreateCatalog();

    public static OperatorCatalog CreateCatalog()
    {
        var catalog = new OperatorCatalog();
        BuiltinOperators.Register(catalog);
        FileOperators.Register(catalog);
        EjfatOperators.Register(catalog);
        Clas12Operators.Register(catalog);
        ZeroMqOperators.Register(catalog);
        return catalog;
    }

    public static void Run(ReadOnlySpan<byte> data)
    {
        var text = Encoding.UTF8.GetString(data);
        FuzzSupport.WithAllocationLimit((2048L * data.Length) + (32 << 20), () => Load(text));
    }

    private static void Load(string text)
    {
        var lines = text.Count(c => c is '\n' or '\r' or '\u0085' or '\u2028' or '\u2029') + 1; // every line break YAML knows
        var loaded = PipelineLoader.Load(text, "fuzz.yaml");
        CheckDiagnostics(loaded.Diagnostics, lines, "load");
        var combined = PipelinePlanner.Plan(loaded, Catalog); // the command's path: the loader's and planner's problems in one pass
        CheckDiagnostics(combined.Diagnostics, lines, "load+plan");
        FuzzSupport.Check(combined.Ok || combined.Diagnostics.Count > 0, "a file that did not load and plan has no diagnostic");
        if (!loaded.Ok)
        {
            FuzzSupport.Check(loaded.Diagnostics.Count > 0, "a file that did not load has no diagnostic");
            return;
        }

        var planned = PipelinePlanner.Plan(loaded.Spec!, Catalog);
        CheckDiagnostics(planned.Diagnostics, lines, "plan");
        FuzzSupport.Check(planned.Ok || planned.Diagnostics.Count > 0, "a pipeline that did not plan has no diagnostic");
        FuzzSupport.Check(!planned.Ok || planned.Plan is not null, "a pipeline planned without a plan");
    }

    private static void CheckDiagnostics(IReadOnlyList<Diagnostic> diagnostics, int lines, string step)
    {
        foreach (var d in diagnostics)
        {
            FuzzSupport.Check(!string.IsNullOrWhiteSpace(d.Message), $"{step}: a diagnostic without a message at {d.Location}");
            FuzzSupport.Check(d.Location.Line >= 0 && d.Location.Line <= lines + 1, $"{step}: diagnostic '{d.Message}' at line {d.Location.Line} of a {lines}-line file");
        }
    }
}

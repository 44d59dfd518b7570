using System.CommandLine;
using Streams.Engine.Spec;

namespace Streams.Cli.Commands;

/// <summary><c>streams validate FILE...</c>: loads and plans pipeline files without running them.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var files = new Argument<FileInfo[]>("pipelines") { Description = "Pipeline YAML files to check (native or ERSAP services.yaml).", Arity = ArgumentArity.OneOrMore, HelpName = "PIPELINE.yaml" };
        var cmd = new Command("validate", "Check pipeline files: YAML syntax, keys, operators, parameters, wiring and data types. Errors are printed as FILE:LINE:COLUMN.")
        {
            files,
        };
        cmd.SetAction(parse => Validate(parse.GetValue(files)!, Console.Out, Console.Error));
        return cmd;
    }

    internal static int Validate(IEnumerable<FileInfo> files, TextWriter output, TextWriter errors)
    {
        var catalog = OperatorSet.Create();
        var failed = 0;
        foreach (var f in files)
        {
            if (PipelineFiles.ControlOnly(f.FullName) is { } control)
            {
                if (!ValidateControlProcess(f, control, catalog, output, errors)) failed++;
                continue;
            }

            var plan = PipelineFiles.LoadAndPlan(f.FullName == f.ToString() ? f.FullName : f.ToString(), catalog, errors);
            if (plan is null)
            {
                failed++;
                continue;
            }

            output.WriteLine($"{f}: ok ({plan.Spec.Format} format, pipeline '{plan.Name}', {plan.Nodes.Count} nodes)");
            foreach (var n in plan.Nodes)
            {
                var from = n.Inputs.Count == 0 ? "" : $" <- {string.Join(", ", n.Inputs.Select(i => i.Name))}";
                var type = n.OutputType is null ? "" : $" emits {n.OutputType}";
                var workers = n.Kind == Engine.Operators.OperatorKind.Source ? "" : $", workers {n.Spec.Workers} (max {n.MaxWorkers}), queue {n.Spec.Queue}";
                output.WriteLine($"  {n.Kind.ToString().ToLowerInvariant(),-9} {n.Name} [{n.Descriptor.Name}]{from}{type}{workers}");
            }
        }

        return failed == 0 ? 0 : RunCommand.InvalidPipelineExit;
    }

    /// <summary>A control process (only <c>control:</c>, naming a node pipeline): its settings, and the node pipeline planned.</summary>
    private static bool ValidateControlProcess(FileInfo f, PipelineSpec spec, Engine.Operators.OperatorCatalog catalog, TextWriter output, TextWriter errors)
    {
        Control.Live.ControllerSettings settings;
        try
        {
            settings = Control.Live.ControllerSettings.ForNodePipelines(spec);
        }
        catch (Engine.Operators.ConfigException e)
        {
            errors.WriteLine(e.Location is { } at ? $"{at}: error: {e.Message}" : $"{f}: error: {e.Message}");
            return false;
        }

        var node = PipelineFiles.LoadAndPlan(settings.NodePipeline, catalog, errors);
        if (node is null) return false;
        var ns = settings.Nodes!;
        output.WriteLine($"{f}: ok (control process '{spec.Name}': {settings.Law} sizes {ns.MinNodes}-{ns.MaxNodes} '{node.Name}' node pipelines of {ns.Cores} cores from {ns.Provider})");
        return true;
    }
}

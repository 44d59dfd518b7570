using System.CommandLine;
using Streams.Engine.Operators;

namespace Streams.Cli.Commands;

/// <summary><c>streams operators [NAME]</c>: what can go in a pipeline file.</summary>
internal static class OperatorsCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "Show one operator in full.", Arity = ArgumentArity.ZeroOrOne, HelpName = "NAME" };
        var cmd = new Command("operators", "List the operators a pipeline file may use, with their types and parameters.") { name };
        cmd.SetAction(parse => List(parse.GetValue(name), Console.Out));
        return cmd;
    }

    internal static int List(string? only, TextWriter output)
    {
        var catalog = OperatorSet.Create();
        if (only is not null && !catalog.TryGet(only, out _))
        {
            var names = catalog.All.SelectMany(d => d.Aliases.Prepend(d.Name));
            Console.Error.WriteLine($"error: no operator '{only}'{Engine.Operators.Suggestions.DidYouMean(only, names)} (known: {string.Join(", ", catalog.All.Select(d => d.Name))})");
            return CliErrors.UsageExit;
        }

        foreach (var d in catalog.All)
        {
            if (only is not null && d.Name != only && !d.Aliases.Contains(only)) continue;
            output.WriteLine($"{d.Name}  ({d.Kind.ToString().ToLowerInvariant()}, v{d.Version})");
            output.WriteLine($"    {d.Description}");
            if (d.Kind != Engine.Operators.OperatorKind.Source) output.WriteLine($"    input:  {string.Join(", ", d.InputTypes)}");
            if (d.Kind != Engine.Operators.OperatorKind.Sink) output.WriteLine($"    output: {d.OutputType}");
            if (d.Aliases.Count > 0) output.WriteLine($"    aliases: {string.Join(", ", d.Aliases)}");
            if (d.MaxWorkers is { } m) output.WriteLine($"    max workers: {m}");
            foreach (var p in d.Parameters)
            {
                var range = p.Min is null && p.Max is null ? "" : $" [{p.Min?.ToString() ?? ""}..{p.Max?.ToString() ?? ""}]";
                var choices = p.Choices.Count == 0 ? "" : $" ({string.Join("|", p.Choices)})";
                var def = p.Default is null ? "required" : $"default {p.Default}";
                output.WriteLine($"    {p.Name,-16} {p.Type.ToString().ToLowerInvariant(),-7} {def}{range}{choices}: {p.Description}");
            }

            output.WriteLine();
        }

        return 0;
    }
}

using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using Streams.Engine.Operators;
using Streams.Engine.Spec;

namespace Streams.Cli;

/// <summary>
/// How the command reports a mistake: one readable line on stderr (never .NET type names or a stack trace), then one
/// usage line for a usage error. Exit status 2 for usage errors (bad flags or values), 1 for other failures.
/// </summary>
internal static partial class CliErrors
{
    /// <summary>Exit status of a usage error: an unknown flag, a bad or missing value.</summary>
    public const int UsageExit = Engine.Runtime.ExitCodes.Usage;

    /// <summary>Exit status of any other failure (a file that cannot be read or written, a socket error, ...).</summary>
    public const int FailureExit = Engine.Runtime.ExitCodes.Failed;

    /// <summary>The command line being run (set by <see cref="Program"/>), for the usage line of <see cref="Usage"/>.</summary>
    public static ParseResult? Current { get; set; }

    /// <summary>Prints "error: MESSAGE" and the usage line of the command being run, and returns <see cref="UsageExit"/>.</summary>
    public static int Usage(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        if (Current is { } p) Console.Error.WriteLine(UsageLine(p.CommandResult));
        return UsageExit;
    }

    /// <summary>Prints "error: MESSAGE" and returns <see cref="FailureExit"/>.</summary>
    public static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {OneLine(message)}");
        return FailureExit;
    }

    /// <summary>When <paramref name="parse"/> has errors, prints the first (readable) and one usage line, and returns 2; else null.</summary>
    public static int? ReportParseErrors(ParseResult parse, TextWriter errors)
    {
        var message = FirstError(parse);
        if (message is null) return null;
        errors.WriteLine($"error: {message}");
        errors.WriteLine(UsageLine(parse.CommandResult));
        return UsageExit;
    }

    /// <summary>The one line an unexpected exception is reported as.</summary>
    public static string Unexpected(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
        var what = e switch
        {
            UnauthorizedAccessException => "permission denied",
            IOException or System.Net.Sockets.SocketException => null,
            _ => $"unexpected {e.GetType().Name}",
        };
        return $"error: {(what is null ? "" : what + ": ")}{Message(e)}";
    }

    /// <summary>An exception's message without .NET's " (Parameter 'x')" suffix, on one line.</summary>
    public static string Message(Exception e) =>
        OneLine(e is ArgumentException { ParamName: { } p } ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message);

    /// <summary>"usage: streams run [PIPELINE.yaml] [options]  (streams run --help for more)".</summary>
    public static string UsageLine(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent) if (r is CommandResult c) names.Insert(0, c.Command.Name);
        var path = string.Join(' ', names);
        var cmd = result.Command;
        var parts = new List<string> { path };
        if (cmd.Subcommands.Count > 0 && cmd.Action is null) parts.Add("COMMAND");
        foreach (var a in cmd.Arguments)
        {
            var n = a.HelpName ?? a.Name.ToUpperInvariant();
            parts.Add(a.Arity.MaximumNumberOfValues > 1 ? $"{n}..." : n);
            if (a.Arity.MinimumNumberOfValues == 0) parts[^1] = $"[{parts[^1]}]";
        }

        if (cmd.Options.Any(o => o is not System.CommandLine.Help.HelpOption and not VersionOption)) parts.Add("[options]");
        return $"usage: {string.Join(' ', parts)}  ({path} --help for more)";
    }

    private static string? FirstError(ParseResult parse)
    {
        // A command argument that looks like a flag was an unknown option, not a file name ('run --bogus').
        foreach (var child in parse.CommandResult.Children.OfType<ArgumentResult>())
        {
            foreach (var t in child.Tokens)
            {
                if (t.Value.Length > 1 && t.Value[0] == '-' && !double.TryParse(t.Value, CultureInfo.InvariantCulture, out _) && !Path.Exists(t.Value))
                {
                    return UnknownOption(t.Value, parse.CommandResult.Command);
                }
            }
        }

        if (parse.Errors.Count == 0) return null;
        var e = parse.Errors.FirstOrDefault(x => !x.Message.StartsWith("Required command was not provided", StringComparison.Ordinal)) ?? parse.Errors[0];
        var m = e.Message;
        if (CannotParse().Match(m) is { Success: true } cp)
        {
            var name = e.SymbolResult is ArgumentResult { Parent: OptionResult o } ? o.Option.Name
                : e.SymbolResult is ArgumentResult ar ? ar.Argument.HelpName ?? ar.Argument.Name.ToUpperInvariant() : cp.Groups["name"].Value;
            return $"{name}: '{cp.Groups["value"].Value}' is {Expected(cp.Groups["type"].Value, cp.Groups["value"].Value)}";
        }

        if (Unrecognized().Match(m) is { Success: true } un)
        {
            var token = un.Groups["token"].Value;
            var cmd = parse.CommandResult.Command;
            if (token.StartsWith('-')) return UnknownOption(token, cmd);
            if (cmd.Subcommands.Count > 0) return $"unknown command '{token}'{Suggestions.DidYouMean(token, cmd.Subcommands.Select(c => c.Name))} (commands: {string.Join(", ", cmd.Subcommands.Select(c => c.Name))})";
            return $"unexpected argument '{token}'";
        }

        if (NotOneOf().Match(m) is { Success: true } no)
        {
            var name = e.SymbolResult is ArgumentResult { Parent: OptionResult o } ? o.Option.Name : e.SymbolResult is OptionResult o2 ? o2.Option.Name : "value";
            var choices = Quoted().Matches(no.Groups["choices"].Value).Select(q => q.Groups[1].Value).ToList();
            return $"{name}: '{no.Groups["value"].Value}' is not one of {string.Join(", ", choices)}{Suggestions.DidYouMean(no.Groups["value"].Value, choices)}";
        }

        if (m.StartsWith("Required command was not provided", StringComparison.Ordinal))
        {
            return $"no command given (commands: {string.Join(", ", parse.CommandResult.Command.Subcommands.Select(c => c.Name))})";
        }

        if (RequiredOption().Match(m) is { Success: true } ro) return $"{ro.Groups["name"].Value} is required";
        if (e.SymbolResult is CommandResult or ArgumentResult { Parent: CommandResult } && m.StartsWith("Required argument missing", StringComparison.Ordinal))
        {
            var missing = parse.CommandResult.Command.Arguments.FirstOrDefault(a => a.Arity.MinimumNumberOfValues > 0);
            return $"missing {(missing is null ? "argument" : missing.HelpName ?? missing.Name.ToUpperInvariant())}";
        }

        if (e.SymbolResult is OptionResult or2 && m.StartsWith("Required argument missing", StringComparison.Ordinal)) return $"{or2.Option.Name} needs a value";
        // System.CommandLine's sentences start with a capital ("Option ..."); ours start with the flag or NAME.
        var sentence = m.Length > 1 && char.IsUpper(m[0]) && char.IsLower(m[1]) ? char.ToLowerInvariant(m[0]) + m[1..] : m;
        return OneLine(sentence).TrimEnd('.');
    }

    private static string UnknownOption(string token, Command cmd)
    {
        var names = cmd.Options.Concat(cmd.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive)))
            .SelectMany(o => o.Aliases.Prepend(o.Name)).Distinct().ToList();
        return $"unknown option '{token}'{Suggestions.DidYouMean(token, names)}";
    }

    private static string Expected(string type, string value)
    {
        var t = type.Replace("System.Nullable`1[", "", StringComparison.Ordinal).TrimEnd(']').Replace("[]", "", StringComparison.Ordinal);
        var whole = t is "System.Int32" or "System.Int64" or "System.Int16" or "System.Byte" or "System.UInt16" or "System.UInt32" or "System.UInt64";
        if (whole) return System.Numerics.BigInteger.TryParse(value, CultureInfo.InvariantCulture, out _) ? "out of range" : "not a whole number";
        if (t is "System.Double" or "System.Single" or "System.Decimal") return "not a number";
        if (t is "System.Boolean") return "not true or false";
        return "not valid here";
    }

    private static string OneLine(string s) => string.Join(' ', s.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (option|command) '(?<name>[^']*)' as expected type '(?<type>[^']*)'")]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^Unrecognized command or argument '(?<token>.*)'\.?$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"^Argument '(?<value>.*)' not recognized\. Must be one of:(?<choices>.*)$", RegexOptions.Singleline)]
    private static partial Regex NotOneOf();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"^Option '(?<name>[^']*)' is required")]
    private static partial Regex RequiredOption();
}

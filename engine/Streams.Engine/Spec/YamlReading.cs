using System.Globalization;
using Streams.Engine.Operators;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Streams.Engine.Spec;

/// <summary>Small helpers for reading YAML nodes while collecting located diagnostics.</summary>
internal sealed class YamlReading(string file, List<Diagnostic> diagnostics)
{
    public string File { get; } = file;

    public SourceLocation At(YamlNode node) => At(node.Start);

    public SourceLocation At(Mark mark) => new(File, (int)mark.Line, (int)mark.Column);

    public void Error(YamlNode node, string message) => diagnostics.Add(new Diagnostic(At(node), message));

    public void Error(SourceLocation at, string message) => diagnostics.Add(new Diagnostic(at, message));

    public YamlMappingNode? Mapping(YamlNode node, string what)
    {
        if (node is YamlMappingNode m) return m;
        Error(node, $"{what} must be a mapping (key: value lines)");
        return null;
    }

    public YamlSequenceNode? Sequence(YamlNode node, string what)
    {
        if (node is YamlSequenceNode s) return s;
        Error(node, $"{what} must be a list ('- ' items)");
        return null;
    }

    public string? Scalar(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Value: { } v }) return v;
        Error(node, $"{what} must be a single value");
        return null;
    }

    /// <summary>Reads an integer in [min, max]; reports and returns null otherwise.</summary>
    public int? Int(YamlNode node, string what, int min, int max)
    {
        var s = Scalar(node, what);
        if (s is null) return null;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            // Digits too many for an int are a whole number out of range, not "not a whole number".
            var tooLarge = System.Numerics.BigInteger.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
            Error(node, tooLarge ? $"{what} is {s.Trim()}, out of range; expected {min}..{max}" : $"{what} is '{s}'; expected a whole number {min}..{max}");
            return null;
        }

        if (v < min || v > max)
        {
            Error(node, $"{what} is {v}; expected {min}..{max}");
            return null;
        }

        return v;
    }

    /// <summary>Checks the keys of a mapping against the allowed ones.</summary>
    public void OnlyKeys(YamlMappingNode map, string what, params string[] allowed)
    {
        foreach (var key in map.Children.Keys)
        {
            var k = (key as YamlScalarNode)?.Value;
            if (k is null || !allowed.Contains(k, StringComparer.Ordinal))
            {
                Error(key, $"unknown key '{k}' in {what}{(k is null ? "" : Suggestions.DidYouMean(k, allowed))} (allowed: {string.Join(", ", allowed)})");
            }
        }
    }

    public static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    /// <summary>Reads an operator <c>config</c> block into <paramref name="into"/>, skipping <paramref name="reserved"/> keys.</summary>
    public void Config(YamlNode node, string what, Dictionary<string, ConfigValue> into, params string[] reserved)
    {
        if (node is YamlScalarNode { Value: null or "" or "~" or "null" }) return;
        var map = Mapping(node, what);
        if (map is null) return;
        foreach (var (k, v) in map.Children)
        {
            var key = Scalar(k, $"a key of {what}");
            if (key is null || reserved.Contains(key, StringComparer.Ordinal)) continue;
            switch (v)
            {
                case YamlScalarNode s:
                    into[key] = new ConfigValue(s.Value ?? string.Empty, null, At(v));
                    break;
                case YamlSequenceNode seq:
                    var items = new List<string>();
                    foreach (var item in seq)
                    {
                        var text = Scalar(item, $"an item of '{key}'");
                        if (text is not null) items.Add(text);
                    }

                    into[key] = new ConfigValue(null, items, At(v));
                    break;
                default:
                    Error(v, $"parameter '{key}' must be a value or a list of values");
                    break;
            }
        }
    }
}

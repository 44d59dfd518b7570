using System.Globalization;

namespace Streams.Engine.Operators;

/// <summary>
/// The parameters of one operator instance: the values the pipeline file set, checked against the operator's
/// declared <see cref="ParameterSpec"/>s, with the declared defaults for the rest. Typed getters throw
/// <see cref="ConfigException"/> naming the file, line and column of a bad value.
/// </summary>
public sealed class OperatorConfig
{
    private readonly Dictionary<string, ConfigValue> _values;
    private readonly Dictionary<string, ParameterSpec> _specs;

    public OperatorConfig(IReadOnlyList<ParameterSpec> specs, IReadOnlyDictionary<string, ConfigValue>? values = null, string stageName = "")
    {
        ArgumentNullException.ThrowIfNull(specs);
        _specs = specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        _values = values is null ? [] : new Dictionary<string, ConfigValue>(values, StringComparer.Ordinal);
        StageName = stageName;
    }

    /// <summary>Name of the stage this configuration belongs to.</summary>
    public string StageName { get; }

    /// <summary>Values set explicitly in the file.</summary>
    public IReadOnlyDictionary<string, ConfigValue> Values => _values;

    /// <summary>Every problem with the values: unknown keys, wrong types, out-of-range numbers, unknown choices.</summary>
    public IReadOnlyList<Diagnostic> Check()
    {
        var problems = new List<Diagnostic>();
        foreach (var (key, value) in _values)
        {
            if (!_specs.TryGetValue(key, out var spec))
            {
                var known = _specs.Count == 0 ? "it takes no parameters" : "known: " + string.Join(", ", _specs.Keys.Order(StringComparer.Ordinal));
                problems.Add(new Diagnostic(value.Location, $"unknown parameter '{key}' for stage '{StageName}'{Suggestions.DidYouMean(key, _specs.Keys)} ({known})"));
                continue;
            }

            try
            {
                Parse(spec, value);
            }
            catch (ConfigException e)
            {
                problems.Add(new Diagnostic(e.Location ?? value.Location, e.Message));
            }
        }

        return problems;
    }

    public bool IsSet(string name) => _values.ContainsKey(name);

    public int GetInt(string name) => checked((int)GetNumber(name, ParameterType.Int));

    public long GetLong(string name) => (long)GetNumber(name, ParameterType.Long);

    public double GetDouble(string name) => GetNumber(name, ParameterType.Double);

    public bool GetBool(string name) => (bool)GetParsed(name, ParameterType.Bool)!;

    public string GetString(string name) => (string?)GetParsed(name, ParameterType.String) ?? string.Empty;

    public IReadOnlyList<string> GetList(string name) => (IReadOnlyList<string>?)GetParsed(name, ParameterType.List) ?? [];

    private double GetNumber(string name, ParameterType type) => Convert.ToDouble(GetParsed(name, type), CultureInfo.InvariantCulture);

    private object? GetParsed(string name, ParameterType type)
    {
        if (!_specs.TryGetValue(name, out var spec))
        {
            throw new InvalidOperationException($"operator asked for undeclared parameter '{name}'");
        }

        if (spec.Type != type && !(spec.Type == ParameterType.Int && type == ParameterType.Long) && !(type == ParameterType.Double && spec.Type is ParameterType.Int or ParameterType.Long))
        {
            throw new InvalidOperationException($"parameter '{name}' is declared {spec.Type}, read as {type}");
        }

        if (_values.TryGetValue(name, out var value)) return Parse(spec, value);
        if (spec.Default is null) return type == ParameterType.List ? Array.Empty<string>() : null;
        return Parse(spec, ConfigValue.Of(spec.Default));
    }

    private object? Parse(ParameterSpec spec, ConfigValue value)
    {
        if (spec.Type == ParameterType.List)
        {
            return value.Items ?? (value.Scalar is null ? [] : (IReadOnlyList<string>)[value.Scalar]);
        }

        if (value.Scalar is null)
        {
            throw new ConfigException($"parameter '{spec.Name}' of stage '{StageName}' must be a single {Describe(spec.Type)}, not a list", value.Location);
        }

        var s = value.Scalar.Trim();
        switch (spec.Type)
        {
            case ParameterType.Bool:
                if (bool.TryParse(s, out var b)) return b;
                if (s is "yes" or "on") return true;
                if (s is "no" or "off") return false;
                throw Bad(spec, value, "true or false");
            case ParameterType.String:
                if (spec.Choices.Count > 0 && !spec.Choices.Contains(s, StringComparer.Ordinal))
                {
                    throw new ConfigException($"parameter '{spec.Name}' of stage '{StageName}' is '{s}'; expected one of: {string.Join(", ", spec.Choices)}", value.Location);
                }

                return s;
            default:
                double number;
                if (spec.Type is ParameterType.Int or ParameterType.Long)
                {
                    var digits = s.Replace("_", string.Empty, StringComparison.Ordinal);
                    var inv = CultureInfo.InvariantCulture;
                    var lowest = spec.Min?.ToString(inv) ?? (spec.Type == ParameterType.Int ? int.MinValue : long.MinValue).ToString(inv);
                    var highest = spec.Max?.ToString(inv) ?? (spec.Type == ParameterType.Int ? int.MaxValue : long.MaxValue).ToString(inv);
                    var range = $"{lowest}..{highest}";
                    if (!long.TryParse(digits, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
                    {
                        // Too many digits for a long is a whole number out of range, not "not a whole number".
                        throw System.Numerics.BigInteger.TryParse(digits, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? Bad(spec, value, $"a whole number {range} (it is out of range)") : Bad(spec, value, "a whole number");
                    }

                    if (spec.Type == ParameterType.Int && (l < int.MinValue || l > int.MaxValue)) throw Bad(spec, value, $"a whole number {range} (it is out of range)");
                    number = l;
                }
                else if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out number) || !double.IsFinite(number))
                {
                    throw Bad(spec, value, "a number");
                }

                if (spec.Min is { } min && number < min) throw Bad(spec, value, $"at least {min.ToString(CultureInfo.InvariantCulture)}");
                if (spec.Max is { } max && number > max) throw Bad(spec, value, $"at most {max.ToString(CultureInfo.InvariantCulture)}");
                return spec.Type == ParameterType.Double ? number : (object)(long)number;
        }
    }

    private ConfigException Bad(ParameterSpec spec, ConfigValue value, string expected) =>
        new($"parameter '{spec.Name}' of stage '{StageName}' is '{value}'; expected {expected}", value.Location);

    private static string Describe(ParameterType t) => t switch
    {
        ParameterType.Int or ParameterType.Long => "whole number",
        ParameterType.Double => "number",
        ParameterType.Bool => "boolean",
        _ => "value",
    };
}

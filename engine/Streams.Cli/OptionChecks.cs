using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Streams.Cli;

/// <summary>
/// Range checks declared on options: a value given on the command line that breaks one is a parse error
/// ("--gbps must be positive, not -1"), reported like any other usage error (exit 2). Defaults are not checked.
/// </summary>
internal static class OptionChecks
{
    /// <summary>Adds a check: <paramref name="ok"/> must hold for the value given, described by <paramref name="rule"/> ("positive", "1..65535").</summary>
    public static Option<T> Must<T>(this Option<T> option, Func<T, bool> ok, string rule)
    {
        option.Validators.Add(r =>
        {
            if (r.Implicit || r.Errors.Any()) return;
            T value;
            try
            {
                value = r.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // not convertible: already reported as "'abc' is not a number"
            }

            if (!ok(value)) r.AddError($"{option.Name} must be {rule}, not {Show(value)}");
        });
        return option;
    }

    /// <summary>The value must be more than zero.</summary>
    public static Option<T> Positive<T>(this Option<T> option) where T : INumber<T> => option.Must(v => v > T.Zero, "positive");

    /// <summary>The value must be zero or more.</summary>
    public static Option<T> NotNegative<T>(this Option<T> option) where T : INumber<T> => option.Must(v => v >= T.Zero, "0 or more");

    /// <summary>The value must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<T> Range<T>(this Option<T> option, T min, T max) where T : INumber<T> =>
        option.Must(v => v >= min && v <= max, string.Create(CultureInfo.InvariantCulture, $"{min}..{max}"));

    /// <summary>When given, the value must be more than zero.</summary>
    public static Option<T?> PositiveIfGiven<T>(this Option<T?> option) where T : struct, INumber<T> => option.Must(v => v is not { } x || x > T.Zero, "positive");

    /// <summary>Every value of the list must be more than zero, and there must be at least one.</summary>
    public static Option<T[]> AllPositive<T>(this Option<T[]> option) where T : INumber<T> => option.Must(v => v is { Length: > 0 } && v.All(x => x > T.Zero), "one or more positive values");

    private static string Show<T>(T value) => value switch
    {
        null => "nothing",
        System.Collections.IEnumerable list and not string => string.Join(' ', list.Cast<object>().Select(o => Convert.ToString(o, CultureInfo.InvariantCulture))),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "?",
    };
}

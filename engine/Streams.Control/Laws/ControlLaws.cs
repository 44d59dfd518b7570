using System.Globalization;

namespace Streams.Control.Laws;

/// <summary>Makes control laws by name with their parameters (from a pipeline's <c>control:</c> section or the command line).</summary>
public static class ControlLaws
{
    /// <summary>The queue-length model (<see cref="QueueModelLaw"/>): the default.</summary>
    public const string QueueModel = "queue-model";

    /// <summary>COBaLD's linear controller.</summary>
    public const string Linear = "linear";

    /// <summary>COBaLD's relative-supply controller.</summary>
    public const string RelativeSupply = "relative-supply";

    /// <summary>Kubernetes' horizontal pod autoscaler rule.</summary>
    public const string Hpa = "hpa";

    /// <summary>The digital twin (<see cref="Twin.TwinLaw"/>).</summary>
    public const string Twin = "twin";

    /// <summary>What a <c>control:</c> section's <c>law</c> (or <c>--control</c>) says to turn the controller off.</summary>
    public const string Off = "off";

    public static IReadOnlyList<string> Names { get; } = [QueueModel, Linear, RelativeSupply, Hpa, Twin];

    /// <summary>Parameters each law accepts, with defaults (for messages and --help).</summary>
    public static IReadOnlyDictionary<string, string[]> Parameters { get; } = new Dictionary<string, string[]>
    {
        [QueueModel] = ["queue-target", "drain-seconds", "max-utilisation", "boot-seconds", "down-window", "down-deadband", "max-down-fraction", "smoothing-seconds", "failure-hedge", "season-seconds"],
        [Linear] = ["low-utilisation", "high-allocation", "rate"],
        [RelativeSupply] = ["low-utilisation", "high-allocation"],
        [Hpa] = ["target-utilisation", "tolerance", "down-window"],
        [Twin] = ["queue-target", "states", "control-step", "stay", "core-cost", "switch-cost", "drain-seconds", "horizon"],
    };

    /// <summary>
    /// The entries of <paramref name="parameters"/> that law <paramref name="name"/> takes: for a law other than the one a
    /// file's parameters were written for (<c>--control</c>, a twin advisor beside the file's law).
    /// </summary>
    public static Dictionary<string, string> ParametersOf(string name, IReadOnlyDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var known = Parameters[name];
        return parameters.Where(kv => known.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }

    public static IControlLaw Create(string name, ControlBounds bounds, IReadOnlyDictionary<string, string>? parameters = null)
    {
        var p = parameters ?? new Dictionary<string, string>();
        if (!Parameters.TryGetValue(name, out var known)) throw new ArgumentException($"unknown control law '{name}'; use one of: {string.Join(", ", Names)}");
        foreach (var key in p.Keys)
        {
            if (!known.Contains(key)) throw new ArgumentException($"law '{name}' has no parameter '{key}'; it takes: {string.Join(", ", known)}");
        }

        double D(string key, double fallback)
        {
            if (!p.TryGetValue(key, out var v)) return fallback;
            return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0
                ? d
                : throw new ArgumentException($"law '{name}': '{key}' must be a non-negative number, got '{v}'");
        }

        return name switch
        {
            QueueModel => new QueueModelLaw(bounds, new QueueModelSettings
            {
                QueueTarget = D("queue-target", 5000),
                DrainSeconds = Math.Max(1, D("drain-seconds", 30)),
                MaxUtilisation = Math.Clamp(D("max-utilisation", 0.85), 0.05, 1),
                BootSeconds = D("boot-seconds", 120),
                DownWindowSeconds = D("down-window", 180),
                DownDeadband = D("down-deadband", 0.1),
                MaxDownFraction = Math.Clamp(D("max-down-fraction", 0.25), 0.01, 1),
                SmoothingSeconds = D("smoothing-seconds", 10),
                FailureHedge = Math.Min(0.9, D("failure-hedge", 0.1)),
                SeasonSeconds = D("season-seconds", 3600),
            }),
            Linear => new LinearLaw(bounds, D("low-utilisation", 0.5), D("high-allocation", 0.5), D("rate", 1)),
            RelativeSupply => new RelativeSupplyLaw(bounds, D("low-utilisation", 0.5), D("high-allocation", 0.5)),
            Twin => new Twin.TwinLaw(bounds, new Twin.TwinLawSettings
            {
                QueueTarget = D("queue-target", 5000),
                States = (int)Math.Max(2, D("states", 28)),
                ControlStep = (int)D("control-step", 0),
                Stay = Math.Clamp(D("stay", 0.9), 0.01, 1),
                CoreCost = D("core-cost", 0.2),
                SwitchCost = D("switch-cost", 0.05),
                DrainSeconds = Math.Max(1, D("drain-seconds", 30)),
                Horizon = (int)Math.Max(1, D("horizon", 10)),
            }),
            _ => new HpaLaw(bounds, Math.Max(0.01, D("target-utilisation", 0.8)), D("tolerance", 0.1), D("down-window", 300)),
        };
    }
}

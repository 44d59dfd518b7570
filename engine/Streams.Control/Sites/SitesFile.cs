using System.Globalization;
using Streams.Engine.Operators;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Streams.Control.Sites;

/// <summary>
/// Reads a <c>sites.yaml</c>: a top-level <c>sites:</c> list, one mapping per site with <c>name</c>, <c>provider</c>
/// (local, slurm, kubernetes), <c>quota-nodes</c>, <c>quota-cores</c>, <c>cores</c>, <c>memory-gb</c>, <c>walltime</c>
/// (seconds or HH:MM:SS), <c>boot-p50</c>, <c>boot-p90</c> (seconds), <c>link-gbps</c>, <c>ingest-gbps</c>,
/// <c>cost</c>, <c>budget-node-hours</c>, <c>max-pending</c>, <c>jiriaf-site</c>, <c>jiriaf-nodetype</c> and
/// <c>settings</c> (the provider's own keys: slurm-conf (relative to the file), cluster, partition, account,
/// namespace...). A bad entry throws <see cref="ConfigException"/> with its file:line:column.
/// </summary>
public static class SitesFile
{
    private static readonly string[] Keys =
    [
        "name", "provider", "quota-nodes", "quota-cores", "cores", "memory-gb", "walltime", "boot-p50", "boot-p90", "link-gbps", "ingest-gbps",
        "cost", "budget-node-hours", "max-pending", "jiriaf-site", "jiriaf-nodetype", "settings",
    ];

    /// <summary>Reads the sites of <paramref name="path"/>.</summary>
    public static IReadOnlyList<SiteSpec> Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot read the sites file: {e.Message}", new SourceLocation(path, 0, 0));
        }

        return Parse(text, path);
    }

    /// <summary>Reads the sites of YAML <paramref name="text"/>; <paramref name="file"/> names it in errors.</summary>
    public static IReadOnlyList<SiteSpec> Parse(string text, string file)
    {
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigException($"not valid YAML: {e.Message}", At(file, e.Start));
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root) throw new ConfigException("a sites file is a mapping with a 'sites:' list", new SourceLocation(file, 1, 1));
        if (!root.Children.TryGetValue(new YamlScalarNode("sites"), out var list) || list is not YamlSequenceNode items || items.Children.Count == 0)
        {
            throw new ConfigException("'sites' must be a non-empty list ('- name: ...' items)", At(file, root.Start));
        }

        var sites = new List<SiteSpec>();
        foreach (var item in items)
        {
            var site = ReadSite(item, file);
            if (sites.Any(s => s.Name == site.Name)) throw new ConfigException($"site '{site.Name}' is named twice", At(file, item.Start));
            sites.Add(site);
        }

        return sites;
    }

    private static SiteSpec ReadSite(YamlNode node, string file)
    {
        if (node is not YamlMappingNode map) throw new ConfigException("a site must be a mapping (key: value lines)", At(file, node.Start));
        foreach (var key in map.Children.Keys)
        {
            var k = (key as YamlScalarNode)?.Value ?? "";
            if (!Keys.Contains(k, StringComparer.Ordinal)) throw new ConfigException($"unknown key '{k}' in a site{Suggestions.DidYouMean(k, Keys)} (allowed: {string.Join(", ", Keys)})", At(file, key.Start));
        }

        YamlNode? Get(string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
        string? Text(string key)
        {
            if (Get(key) is not { } v) return null;
            return v is YamlScalarNode { Value: { } s } ? s : throw new ConfigException($"'{key}' must be a single value", At(file, v.Start));
        }

        double? Number(string key, double min)
        {
            if (Text(key) is not { } s) return null;
            return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= min
                ? d
                : throw new ConfigException($"'{key}' must be a number >= {min.ToString(CultureInfo.InvariantCulture)}, got '{s}'", At(file, Get(key)!.Start));
        }

        int? Whole(string key, int min) => Number(key, min) is { } d
            ? d == Math.Floor(d) && d <= int.MaxValue ? (int)d : throw new ConfigException($"'{key}' must be a whole number, got '{Text(key)}'", At(file, Get(key)!.Start))
            : null;

        var name = Text("name") is { Length: > 0 } n ? n : throw new ConfigException("a site needs a 'name'", At(file, map.Start));
        if (name.Contains('/', StringComparison.Ordinal)) throw new ConfigException($"site name '{name}' must not contain '/' (node ids are SITE/ID)", At(file, Get("name")!.Start));
        var provider = Text("provider") switch
        {
            null or "local" => SiteProviderKind.Local,
            "slurm" => SiteProviderKind.Slurm,
            "kubernetes" => SiteProviderKind.Kubernetes,
            var p => throw new ConfigException($"site '{name}': 'provider' is '{p}'; use local, slurm or kubernetes", At(file, Get("provider")!.Start)),
        };
        var defaults = new SiteSpec { Name = name };
        var p50 = Number("boot-p50", 0.001) ?? defaults.Boot.P50Seconds;
        var p90 = Number("boot-p90", 0.001) ?? Math.Max(p50, defaults.Boot.P90Seconds);
        if (p90 < p50) throw new ConfigException($"site '{name}': 'boot-p90' ({p90}) must be at least 'boot-p50' ({p50})", At(file, Get("boot-p90")!.Start));
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Get("settings") is { } sv)
        {
            if (sv is not YamlMappingNode sm) throw new ConfigException($"site '{name}': 'settings' must be a mapping of the provider's keys", At(file, sv.Start));
            foreach (var (k, v) in sm.Children)
            {
                if (k is not YamlScalarNode { Value: { } key } || v is not YamlScalarNode { Value: { } value }) throw new ConfigException($"site '{name}': each setting must be 'key: value'", At(file, k.Start));
                // A site's own SLURM_CONF, written relative to the sites file, is found wherever the run starts.
                settings[key] = key == "slurm-conf" && !Path.IsPathRooted(value) && Path.GetDirectoryName(Path.GetFullPath(file)) is { } dir ? Path.GetFullPath(Path.Combine(dir, value)) : value;
            }
        }

        return defaults with
        {
            Provider = provider,
            Settings = settings,
            QuotaNodes = Whole("quota-nodes", 0) ?? defaults.QuotaNodes,
            QuotaCores = Whole("quota-cores", 1),
            CoresPerNode = Whole("cores", 1) ?? defaults.CoresPerNode,
            MemoryGbPerNode = Number("memory-gb", 0) ?? defaults.MemoryGbPerNode,
            WalltimeSeconds = Walltime(Text("walltime"), file, Get("walltime")),
            Boot = new BootPrior(p50, p90),
            LinkGbps = Number("link-gbps", 0),
            IngestGbpsPerNode = Number("ingest-gbps", 0) ?? 0,
            CostWeight = Number("cost", 0) ?? defaults.CostWeight,
            BudgetNodeHours = Number("budget-node-hours", 0),
            MaxPending = Whole("max-pending", 1) ?? defaults.MaxPending,
            JiriafSite = Text("jiriaf-site") ?? name,
            JiriafNodeType = Text("jiriaf-nodetype") ?? defaults.JiriafNodeType,
        };
    }

    /// <summary>Seconds, or [D-]HH:MM:SS as SLURM writes it; null when not given.</summary>
    private static double? Walltime(string? text, string file, YamlNode? node)
    {
        if (text is null) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0) return s;
        var days = 0;
        var rest = text;
        if (text.Split('-') is [var d, var r] && int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out days)) rest = r;
        var parts = rest.Split(':');
        if (parts.Length is >= 2 and <= 3 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            var v = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            var seconds = (days * 86400.0) + (parts.Length == 3 ? (v[0] * 3600) + (v[1] * 60) + v[2] : (v[0] * 60) + v[1]);
            if (seconds > 0) return seconds;
        }

        throw new ConfigException($"'walltime' must be seconds or [D-]HH:MM:SS, got '{text}'", At(file, node!.Start));
    }

    private static SourceLocation At(string file, Mark mark) => new(file, (int)mark.Line, (int)mark.Column);
}

using System.Globalization;
using Streams.Control.Laws;
using Streams.Control.Sites;
using Streams.Engine.Operators;
using Streams.Engine.Spec;

namespace Streams.Control.Live;

/// <summary>
/// A pipeline's <c>control:</c> section: <c>law</c> (queue-model by default; <c>off</c> to disable), <c>interval</c>
/// (seconds between decisions, default 2), <c>stages</c> (default: every processor stage placed locally), <c>min</c> and
/// <c>max</c> (servers; max defaults to each stage's max-workers), and the law's own parameters.
/// </summary>
public sealed record ControllerSettings(string Law, double IntervalSeconds, IReadOnlyList<string> Stages, int Min, int? Max, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>
    /// Nodes for stages placed on workers: <c>node-provider</c> (local, slurm or kubernetes), <c>node-cores</c> (threads per node),
    /// <c>min-nodes</c>, <c>max-nodes</c>, <c>service-rate</c> (events/s one thread does: the prior before any is
    /// measured), and for SLURM <c>slurm-partition</c>, <c>slurm-account</c>, <c>slurm-qos</c>, <c>slurm-constraint</c>,
    /// <c>slurm-walltime</c>, <c>slurm-drain-before</c>, <c>slurm-replace-before</c>, and the <c>k8s-*</c> keys of
    /// <see cref="KubernetesSettings"/>; or <c>sites: FILE</c> (a sites.yaml: several sites, each with its provider).
    /// Null when the section names no provider.
    /// </summary>
    public NodeSettings? Nodes { get; init; }

    /// <summary><c>twin-advisor: true</c>: a digital twin runs beside the law and exports its estimate and advice (streams_twin_*).</summary>
    public bool TwinAdvisor { get; init; }

    /// <summary><c>record: DIR</c>: each controlled stage's ticks go to DIR/STAGE.csv (t, queue, workers, arrivals), a trace for <c>streams twin replay</c>.</summary>
    public string? Record { get; init; }

    /// <summary>Reads the section of <paramref name="plan"/>; null when there is none or it says <c>law: off</c>. Throws <see cref="ConfigException"/> with the location of a bad entry.</summary>
    public static ControllerSettings? From(PipelinePlan plan, string? lawOverride = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return Read(plan.Spec, plan.Nodes, plan.Name, lawOverride);
    }

    /// <summary>
    /// The section of a control process (<see cref="PipelineSpec.IsControlOnly"/>): <c>node-pipeline</c> (the pipeline
    /// each node runs, relative to the file), <c>load-balancer</c> (its EJFAT URI, unless <c>--lb</c> gives it) and a
    /// node provider are required; the nodes are controlled as one stage named after the node pipeline.
    /// </summary>
    public static ControllerSettings ForNodePipelines(PipelineSpec spec, string? lawOverride = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var settings = Read(spec, [], spec.Name, lawOverride)
            ?? throw new ConfigException("'control.law' is off: a control process for node pipelines needs a law", spec.ControlLocation);
        var c = spec.Control;
        if (settings.Nodes is null) throw new ConfigException("'control.node-provider' (local, slurm or kubernetes) is needed with 'control.node-pipeline': it starts the nodes", spec.ControlLocation);
        var pipeline = c["node-pipeline"];
        if (pipeline.Scalar is not { Length: > 0 } path) throw new ConfigException("'control.node-pipeline' must name a pipeline file", pipeline.Location);
        var full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(spec.File)) ?? ".", path));
        if (!File.Exists(full)) throw new ConfigException($"'control.node-pipeline': no such file: {full}", pipeline.Location);
        var stage = Path.GetFileNameWithoutExtension(full);
        return settings with { Stages = [stage], NodePipeline = full, LoadBalancer = c.TryGetValue("load-balancer", out var lb) ? lb.Scalar : null };
    }

    /// <summary><c>node-pipeline</c>: the pipeline file each node runs (full path), for a control process; null otherwise.</summary>
    public string? NodePipeline { get; init; }

    /// <summary><c>load-balancer</c>: the EJFAT URI the node pipelines register with (<c>--lb</c> overrides it).</summary>
    public string? LoadBalancer { get; init; }

    /// <summary>The sites of <c>control.sites: FILE</c> (relative to the pipeline file); null when not given.</summary>
    private static IReadOnlyList<SiteSpec>? ReadSites(PipelineSpec spec, string? file)
    {
        if (file is null) return null;
        var full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(spec.File)) ?? ".", file));
        if (!File.Exists(full)) throw new ConfigException($"'control.sites': no such file: {full}", spec.Control["sites"].Location);
        return SitesFile.Load(full);
    }

    private static ControllerSettings? Read(PipelineSpec spec, IReadOnlyList<PlannedNode> planned, string pipelineName, string? lawOverride)
    {
        var c = spec.Control;
        if (c.Count == 0 && lawOverride is null) return null;
        string? Scalar(string key) => c.TryGetValue(key, out var v) ? v.Scalar ?? throw new ConfigException($"'control.{key}' must be a single value", v.Location) : null;
        var law = lawOverride ?? Scalar("law") ?? ControlLaws.QueueModel;
        if (law == ControlLaws.Off) return null;
        if (!ControlLaws.Names.Contains(law)) throw new ConfigException($"'control.law' is '{law}'; use one of: {string.Join(", ", ControlLaws.Names)}, off", c.GetValueOrDefault("law")?.Location ?? spec.ControlLocation);
        double Number(string key, double fallback, double min)
        {
            var s = Scalar(key);
            if (s is null) return fallback;
            return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= min
                ? d
                : throw new ConfigException($"'control.{key}' must be a number >= {min}, got '{s}'", c[key].Location);
        }

        var interval = Number("interval", 2, 0.1);
        var min = (int)Number("min", 1, 1);
        int? max = c.ContainsKey("max") ? (int)Number("max", 1, 1) : null;
        List<string> stages;
        if (c.TryGetValue("stages", out var sv))
        {
            stages = [.. sv.Items ?? (sv.Scalar is { } one ? [one] : [])];
            foreach (var s in stages)
            {
                var node = planned.FirstOrDefault(n => n.Name == s);
                if (node is null || node.Kind != OperatorKind.Processor) throw new ConfigException($"'control.stages' names '{s}', which is not a processor stage of '{pipelineName}'", sv.Location);
            }
        }
        else
        {
            stages = [.. planned.Where(n => n.Kind == OperatorKind.Processor && n.Spec.Placement == Placement.Local).Select(n => n.Name)];
        }

        NodeSettings? nodes = null;
        var sites = ReadSites(spec, Scalar("sites"));
        if (Scalar("node-provider") is { } named && sites is not null && named != "sites")
        {
            throw new ConfigException($"'control.node-provider' is '{named}' and 'control.sites' names a sites file: give one of them (the sites file says each site's provider)", c["node-provider"].Location);
        }

        if ((Scalar("node-provider") ?? (sites is null ? null : "sites")) is { } provider)
        {
            if (provider is not ("local" or "slurm" or "kubernetes" or "sites")) throw new ConfigException($"'control.node-provider' is '{provider}'; use local, slurm or kubernetes (or 'control.sites: FILE')", c["node-provider"].Location);
            if (provider == "sites" && sites is null) throw new ConfigException("'control.node-provider: sites' needs 'control.sites: FILE' (a sites.yaml)", c["node-provider"].Location);
            var nodeKey = c.ContainsKey("node-provider") ? "node-provider" : "sites";
            if (!c.ContainsKey("service-rate")) throw new ConfigException("'control.service-rate' (events/s one worker thread does) is needed with a node provider: it sizes the first request before anything is measured", c[nodeKey].Location);
            nodes = new NodeSettings(provider, (int)Number("node-cores", sites?.Min(x => x.CoresPerNode) ?? 1, 1), (int)Number("min-nodes", 0, 0), (int)Number("max-nodes", sites?.Sum(x => x.MaxNodes) ?? 4, 1), Number("service-rate", 1, 1e-9),
                Scalar("slurm-partition"), Scalar("slurm-account"), Scalar("slurm-qos"), Scalar("slurm-constraint"), Scalar("slurm-walltime") ?? "00:30:00")
            {
                DrainBeforeEndSeconds = (int)Number("slurm-drain-before", 120, 0),
                ReplaceBeforeEndSeconds = (int)Number("slurm-replace-before", 300, 0),
                Kubernetes = new KubernetesSettings(Scalar("k8s-namespace") ?? "default", Scalar("k8s-image") ?? "localhost/streams:latest",
                    Scalar("k8s-site") ?? "perlmutter", Scalar("k8s-nodetype") ?? "cpu", (int)Number("k8s-lifetime", 3600, 60), Scalar("k8s-kubeconfig"))
                {
                    Join = Scalar("k8s-join"),
                },
                Guards = new Nodes.NodeGuards
                {
                    MinLifetimeSeconds = Number("min-lifetime", 60, 0),
                    YoungSeconds = Number("min-lifetime", 60, 0),
                    JoinTimeoutSeconds = Number("join-timeout", 900, 1),
                    BreakerFailures = (int)Number("breaker-failures", 3, 1),
                    BreakerWindowSeconds = Number("breaker-window", 600, 1),
                    BreakerCooldownSeconds = Number("breaker-cooldown", 300, 0),
                    CallTimeoutSeconds = Number("call-timeout", 60, 1),
                },
                Sites = sites,
            };
            if (provider == "slurm" && nodes.ReplaceBeforeEndSeconds > 0 && nodes.ReplaceBeforeEndSeconds < nodes.DrainBeforeEndSeconds + 60)
            {
                // SLURM may send --signal up to 60 s early: a replacement asked for later than that could come after the drain.
                // (A Kubernetes worker leaves on its own timer, exactly; local workers have no end.)
                throw new ConfigException($"'control.slurm-replace-before' ({nodes.ReplaceBeforeEndSeconds} s) must be at least slurm-drain-before + 60 s ({nodes.DrainBeforeEndSeconds + 60} s): SLURM may signal up to 60 s early; or 0 to turn replacement off",
                    c.GetValueOrDefault("slurm-replace-before")?.Location ?? c[nodeKey].Location);
            }

            if (!c.ContainsKey("stages")) stages.AddRange(planned.Where(n => n.Kind == OperatorKind.Processor && n.Spec.Placement == Placement.Workers).Select(n => n.Name));
        }

        var reserved = new HashSet<string>(["law", "interval", "stages", "min", "max", "node-provider", "node-cores", "min-nodes", "max-nodes", "service-rate",
            "slurm-partition", "slurm-account", "slurm-qos", "slurm-constraint", "slurm-walltime", "slurm-drain-before", "slurm-replace-before",
            "k8s-namespace", "k8s-image", "k8s-site", "k8s-nodetype", "k8s-lifetime", "k8s-kubeconfig", "k8s-join", "twin-advisor", "record",
            "min-lifetime", "join-timeout", "sites", "node-pipeline", "load-balancer", "breaker-failures", "breaker-window", "breaker-cooldown", "call-timeout"], StringComparer.Ordinal);
        var parameters = c.Where(kv => !reserved.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value.Scalar ?? "", StringComparer.Ordinal);
        // --control swaps the file's law for another: keep the file's parameters that law takes, drop the rest.
        if (lawOverride is not null && c.ContainsKey("law")) parameters = ControlLaws.ParametersOf(law, parameters);

        try
        {
            _ = ControlLaws.Create(law, new ControlBounds(min, Math.Max(min, max ?? min)), parameters);
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(e.Message, spec.ControlLocation);
        }

        var advisor = Scalar("twin-advisor") is { } adv
            ? adv is "true" or "false" ? adv == "true" : throw new ConfigException($"'control.twin-advisor' must be true or false, got '{adv}'", c["twin-advisor"].Location)
            : false;
        return new ControllerSettings(law, interval, stages, min, max, parameters) { Nodes = nodes, TwinAdvisor = advisor, Record = Scalar("record") };
    }
}

/// <summary>The <c>node-*</c> and <c>slurm-*</c> keys of a <c>control:</c> section (provider <c>sites</c>: the sites of <c>control.sites</c>).</summary>
public sealed record NodeSettings(string Provider, int Cores, int MinNodes, int MaxNodes, double ServiceRate,
    string? Partition, string? Account, string? Qos, string? Constraint, string Walltime)
{
    /// <summary><c>min-lifetime</c> (60 s), <c>join-timeout</c> (900 s), <c>breaker-failures</c> (3), <c>breaker-window</c> (600 s), <c>breaker-cooldown</c> (300 s), <c>call-timeout</c> (60 s).</summary>
    public Nodes.NodeGuards Guards { get; init; } = new();

    /// <summary><c>slurm-drain-before</c>: seconds before the walltime at which SLURM tells a pilot to drain (120).</summary>
    public int DrainBeforeEndSeconds { get; init; } = 120;

    /// <summary><c>slurm-replace-before</c>: seconds before the walltime (or a Kubernetes worker's lifetime) from which its replacement is requested (300; 0 off).</summary>
    public int ReplaceBeforeEndSeconds { get; init; } = 300;

    /// <summary><c>sites: FILE</c> (a sites.yaml, relative to the pipeline file): nodes from several sites, one provider each; null otherwise.</summary>
    public IReadOnlyList<SiteSpec>? Sites { get; init; }

    /// <summary>The <c>k8s-*</c> keys, for <c>node-provider: kubernetes</c>.</summary>
    public KubernetesSettings Kubernetes { get; init; } = new("default", "localhost/streams:latest", "perlmutter", "cpu", 3600, null);
}

/// <summary>
/// <c>k8s-namespace</c> (default), <c>k8s-image</c> (localhost/streams:latest), <c>k8s-site</c> and <c>k8s-nodetype</c>
/// (JRM node affinity: perlmutter, cpu), <c>k8s-lifetime</c> (seconds a worker runs; only JRM nodes with more alivetime
/// are chosen: 3600), <c>k8s-kubeconfig</c> (default: in-cluster, else $KUBECONFIG or ~/.kube/config), <c>k8s-join</c>.
/// </summary>
public sealed record KubernetesSettings(string Namespace, string Image, string Site, string NodeType, int LifetimeSeconds, string? Kubeconfig)
{
    /// <summary><c>k8s-join</c>: the address pods join; default tcp://streams-coordinator:PORT (the Service in deploy/k8s/coordinator.yaml).</summary>
    public string? Join { get; init; }
}

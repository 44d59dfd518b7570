using Streams.Control.Live;
using Streams.Control.Nodes;
using Streams.Control.Sites;
using Streams.Jrm;
using Streams.Transports.ZeroMq.Coordination;

namespace Streams.Cli.Commands;

/// <summary>Makes the node provider a pipeline's <c>control:</c> section asks for.</summary>
internal static class NodeProviders
{
    /// <summary>The command line that runs this very `streams` (dotnet + streams.dll, or the apphost).</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(NodeProviders).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, dll] : [process];
    }

    /// <summary>
    /// The provider, behind the circuit breaker, minimum lifetime, join timeout and call time limit of the settings. Local
    /// and SLURM nodes are ready when <paramref name="coordinator"/> reports that their worker process joined under the
    /// name the provider gave it; Kubernetes workers are asked to leave through it.
    /// </summary>
    public static INodeProvider Create(NodeSettings settings, Coordinator coordinator, string pipeline, string stateDirectory) =>
        settings.Sites is { } sites
            ? new MultiSiteProvider([.. sites.Select(s => new SiteProvider(s, CreateBare(ForSite(settings, s), coordinator, pipeline, Path.Combine(stateDirectory, s.Name), s)))], settings.Guards)
            {
                Metrics = new SiteMetrics(Engine.Metrics.MetricsRegistry.Process, pipeline),
            }
            : new GuardedProvider(CreateBare(settings, coordinator, pipeline, stateDirectory), settings.Guards);

    /// <summary>The settings one site's provider runs with: the site's provider, node shape, walltime, labels and own keys over the section's.</summary>
    private static NodeSettings ForSite(NodeSettings n, SiteSpec s)
    {
        string? Get(string key) => s.Settings.TryGetValue(key, out var v) ? v : null;
        var walltime = s.WalltimeSeconds is { } w ? TimeSpan.FromSeconds(Math.Ceiling(w)) : (TimeSpan?)null;
        return n with
        {
            Provider = s.Provider.ToString().ToLowerInvariant(),
            Cores = s.CoresPerNode,
            Partition = Get("partition") ?? n.Partition,
            Account = Get("account") ?? n.Account,
            Qos = Get("qos") ?? n.Qos,
            Constraint = Get("constraint") ?? n.Constraint,
            Walltime = walltime is { } t ? $"{(t.Days > 0 ? $"{t.Days}-" : "")}{t.Hours:00}:{t.Minutes:00}:{t.Seconds:00}" : n.Walltime,
            Kubernetes = n.Kubernetes with
            {
                Namespace = Get("namespace") ?? n.Kubernetes.Namespace,
                Image = Get("image") ?? n.Kubernetes.Image,
                Site = s.JiriafSite ?? s.Name,
                NodeType = s.JiriafNodeType,
                LifetimeSeconds = walltime is { } l ? (int)l.TotalSeconds : n.Kubernetes.LifetimeSeconds,
                Kubeconfig = Get("kubeconfig") ?? n.Kubernetes.Kubeconfig,
            },
        };
    }

    private static INodeProvider CreateBare(NodeSettings settings, Coordinator coordinator, string pipeline, string stateDirectory, SiteSpec? site = null)
    {
        var coordinatorEndpoint = coordinator.Endpoint;
        if (settings.Provider == "local")
        {
            // Local workers reach the coordinator on loopback whatever interface it listens on.
            // Two local sites would hand out the same names (local-PID-N): a site's name keeps its worker processes apart.
            return new LocalProvider(new LocalOptions { Join = JoinAddress(coordinatorEndpoint, "127.0.0.1"), Command = SelfCommand(), Cores = settings.Cores, NamePrefix = site is null ? "local" : $"local-{site.Name}" }, coordinator.HasWorker);
        }

        if (settings.Provider == "kubernetes")
        {
            // Pods reach the coordinator through its Service (deploy/k8s/coordinator.yaml), not by this pod's host name.
            var join = settings.Kubernetes.Join ?? $"tcp://streams-coordinator:{coordinatorEndpoint[(coordinatorEndpoint.LastIndexOf(':') + 1)..]}";
            return KubernetesProvider.Connect(Kubernetes(settings, pipeline) with { Join = join }, coordinator.AskToLeaveAsync, coordinator.HasWorker);
        }

        // Pilots run on other nodes: they reach the coordinator by this host's name.
        var slurm = Slurm(settings, stateDirectory) with { Join = JoinAddress(coordinatorEndpoint, Environment.MachineName) };
        return new SlurmProvider(site is null ? slurm : ForSite(slurm, site), hasWorker: coordinator.HasWorker);
    }

    /// <summary>
    /// A SLURM site's own cluster: sbatch, squeue and scancel run with its <c>slurm-conf</c> as SLURM_CONF (and
    /// <c>-M cluster</c> when it names one), and its workers are named <c>slurm-SITE-JOBID</c>, so that two clusters' job
    /// ids never name the same worker.
    /// </summary>
    internal static SlurmOptions ForSite(SlurmOptions options, SiteSpec site) => options with
    {
        Environment = SlurmOptions.ConfEnvironment(site.Settings.TryGetValue("slurm-conf", out var conf) ? Path.GetFullPath(conf) : null),
        Cluster = site.Settings.TryGetValue("cluster", out var cluster) ? cluster : null,
        NamePrefix = $"slurm-{site.Name}",
    };

    /// <summary>Where and how Jobs run, from the <c>k8s-*</c> keys; the caller says what they run.</summary>
    private static KubernetesOptions Kubernetes(NodeSettings settings, string pipeline) => new()
    {
        Pipeline = pipeline,
        Image = settings.Kubernetes.Image,
        Namespace = settings.Kubernetes.Namespace,
        Cores = settings.Cores,
        Site = settings.Kubernetes.Site,
        NodeType = settings.Kubernetes.NodeType,
        LifetimeSeconds = settings.Kubernetes.LifetimeSeconds,
        DrainBeforeEndSeconds = settings.DrainBeforeEndSeconds,
        ReplaceBeforeEndSeconds = settings.ReplaceBeforeEndSeconds,
        Kubeconfig = settings.Kubernetes.Kubeconfig,
    };

    /// <summary>Where and how pilot jobs run, from the <c>slurm-*</c> keys; the caller says what they run.</summary>
    private static SlurmOptions Slurm(NodeSettings settings, string stateDirectory) => new()
    {
        StreamsCommand = string.Join(' ', SelfCommand()),
        StateDirectory = stateDirectory,
        Partition = settings.Partition,
        Account = settings.Account,
        Qos = settings.Qos,
        Constraint = settings.Constraint,
        Walltime = settings.Walltime,
        Cores = settings.Cores,
        DrainBeforeEndSeconds = settings.DrainBeforeEndSeconds,
        ReplaceBeforeEndSeconds = settings.ReplaceBeforeEndSeconds,
    };

    /// <summary>
    /// The provider of a control process: each node runs <c>streams run NODE-PIPELINE --lb URI --node-name ID</c> in
    /// DIRECTORY/ID, and is ready once <paramref name="serves"/> says the load balancer gave its member slots. Local and
    /// SLURM pilots, or Kubernetes Jobs on JRM nodes (the node's metrics are then found by Prometheus' pod discovery, and it is measured by what it reports to the load balancer).
    /// </summary>
    public static INodeProvider CreateForNodePipelines(NodeSettings settings, string pipelineName, string nodePipeline, string loadBalancer, string nodesDirectory, Func<string, bool> serves)
    {
        INodeProvider bare = settings.Provider switch
        {
            // A local node is scraped on loopback; a pilot on another host on every interface (its host name is announced).
            "local" => new LocalProvider(new LocalOptions
            {
                Command = SelfCommand(),
                Cores = settings.Cores,
                Node = id => new NodePipelineCommandLine(nodePipeline, loadBalancer, id),
                NodesDirectory = nodesDirectory,
            }, serves),
            "slurm" => new SlurmProvider(Slurm(settings, nodesDirectory) with
            {
                Node = name => new NodePipelineCommandLine(nodePipeline, loadBalancer, name) { MetricsListen = "0.0.0.0:0" },
            }, hasWorker: serves),
            // Pods: a node pipeline per Job on a JRM node; it reads the load balancer's address from the URI, as pods reach it.
            _ => KubernetesProvider.Connect(Kubernetes(settings, pipelineName) with
            {
                Node = name => new NodePipelineCommandLine(nodePipeline, loadBalancer, name),
            }, hasWorker: serves),
        };
        return new GuardedProvider(bare, settings.Guards);
    }

    /// <summary>The address workers join: a coordinator listening on every interface is reached at <paramref name="host"/>.</summary>
    private static string JoinAddress(string endpoint, string host) =>
        endpoint.Replace("tcp://0.0.0.0:", $"tcp://{host}:", StringComparison.Ordinal).Replace("tcp://*:", $"tcp://{host}:", StringComparison.Ordinal);
}

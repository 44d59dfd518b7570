using Streams.Control.Live;
using Streams.Control.Nodes;
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
        new GuardedProvider(CreateBare(settings, coordinator, pipeline, stateDirectory), settings.Guards);

    private static INodeProvider CreateBare(NodeSettings settings, Coordinator coordinator, string pipeline, string stateDirectory)
    {
        var coordinatorEndpoint = coordinator.Endpoint;
        if (settings.Provider == "local")
        {
            // Local workers reach the coordinator on loopback whatever interface it listens on.
            return new LocalProvider(new LocalOptions { Join = JoinAddress(coordinatorEndpoint, "127.0.0.1"), Command = SelfCommand(), Cores = settings.Cores }, coordinator.HasWorker);
        }

        if (settings.Provider == "kubernetes")
        {
            var k = settings.Kubernetes;
            return KubernetesProvider.Connect(new KubernetesOptions
            {
                // Pods reach the coordinator through its Service (deploy/k8s/coordinator.yaml), not by this pod's host name.
                Join = k.Join ?? $"tcp://streams-coordinator:{coordinatorEndpoint[(coordinatorEndpoint.LastIndexOf(':') + 1)..]}",
                Pipeline = pipeline,
                Image = k.Image,
                Namespace = k.Namespace,
                Cores = settings.Cores,
                Site = k.Site,
                NodeType = k.NodeType,
                LifetimeSeconds = k.LifetimeSeconds,
                DrainBeforeEndSeconds = settings.DrainBeforeEndSeconds,
                ReplaceBeforeEndSeconds = settings.ReplaceBeforeEndSeconds,
                Kubeconfig = k.Kubeconfig,
            }, coordinator.AskToLeaveAsync, coordinator.HasWorker);
        }

        return new SlurmProvider(new SlurmOptions
        {
            Join = JoinAddress(coordinatorEndpoint, Environment.MachineName), // pilots run on other nodes
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
        }, hasWorker: coordinator.HasWorker);
    }

    /// <summary>The address workers join: a coordinator listening on every interface is reached at <paramref name="host"/>.</summary>
    private static string JoinAddress(string endpoint, string host) =>
        endpoint.Replace("tcp://0.0.0.0:", $"tcp://{host}:", StringComparison.Ordinal).Replace("tcp://*:", $"tcp://{host}:", StringComparison.Ordinal);
}

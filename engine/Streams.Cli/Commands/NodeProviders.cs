using Streams.Control.Live;
using Streams.Control.Nodes;
using Streams.Jrm;

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

    /// <summary>The provider, behind the circuit breaker, minimum lifetime and join timeout of the settings.</summary>
    public static INodeProvider Create(NodeSettings settings, string coordinatorEndpoint, string stateDirectory) =>
        new GuardedProvider(CreateBare(settings, coordinatorEndpoint, stateDirectory), settings.Guards);

    private static INodeProvider CreateBare(NodeSettings settings, string coordinatorEndpoint, string stateDirectory)
    {
        if (settings.Provider == "local")
        {
            // Local workers reach the coordinator on loopback whatever interface it listens on.
            return new LocalProvider(new LocalOptions { Join = JoinAddress(coordinatorEndpoint, "127.0.0.1"), Command = SelfCommand(), Cores = settings.Cores });
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
        });
    }

    /// <summary>The address workers join: a coordinator listening on every interface is reached at <paramref name="host"/>.</summary>
    private static string JoinAddress(string endpoint, string host) =>
        endpoint.Replace("tcp://0.0.0.0:", $"tcp://{host}:", StringComparison.Ordinal).Replace("tcp://*:", $"tcp://{host}:", StringComparison.Ordinal);
}

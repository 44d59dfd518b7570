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
            var join = coordinatorEndpoint.Replace("tcp://0.0.0.0:", "tcp://127.0.0.1:", StringComparison.Ordinal).Replace("tcp://*:", "tcp://127.0.0.1:", StringComparison.Ordinal);
            return new LocalProvider(new LocalOptions { Join = join, Command = SelfCommand(), Cores = settings.Cores });
        }

        var host = coordinatorEndpoint.Replace("tcp://0.0.0.0:", $"tcp://{Environment.MachineName}:", StringComparison.Ordinal).Replace("tcp://*:", $"tcp://{Environment.MachineName}:", StringComparison.Ordinal);
        return new SlurmProvider(new SlurmOptions
        {
            Join = host,
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
}

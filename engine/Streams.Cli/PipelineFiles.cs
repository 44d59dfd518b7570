using System.Net;
using System.Net.Sockets;
using Streams.Engine.Operators;
using Streams.Engine.Spec;

namespace Streams.Cli;

/// <summary>Loads and plans a pipeline file (or the embedded default), printing located errors.</summary>
internal static class PipelineFiles
{
    public const string DefaultName = "<default pipeline>";

    public static string ReadDefault()
    {
        using var stream = typeof(PipelineFiles).Assembly.GetManifestResourceStream("default.yaml")
            ?? throw new InvalidOperationException("the default pipeline is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The UDP port of the default pipeline's loopback EJFAT link as written in the file.</summary>
    internal const int DefaultEjfatPort = 19722;

    /// <summary>
    /// The embedded default with its loopback EJFAT ports moved to two consecutive free ones, so two default runs on
    /// one node (two users, say) never meet: each receiver owns its ports and each sender sends to its own receiver.
    /// A file given by name keeps the ports it fixes.
    /// </summary>
    internal static string WithFreePorts(string yaml)
    {
        var port = FreeUdpPortPair();
        return yaml.Replace($"port: {DefaultEjfatPort}", $"port: {port}", StringComparison.Ordinal)
            .Replace($"127.0.0.1:{DefaultEjfatPort}", $"127.0.0.1:{port}", StringComparison.Ordinal);
    }

    /// <summary>A port P such that P and P+1 are free on 127.0.0.1 for UDP now (the kernel picks P).</summary>
    private static int FreeUdpPortPair()
    {
        for (var attempt = 0; attempt < 64; attempt++)
        {
            using var first = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var p = ((IPEndPoint)first.LocalEndPoint!).Port;
            if (p >= 65535) continue;
            using var second = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                second.Bind(new IPEndPoint(IPAddress.Loopback, p + 1));
                return p;
            }
            catch (SocketException)
            {
                // p + 1 is taken: ask again
            }
        }

        return DefaultEjfatPort; // no pair found: the fixed port, which fails clearly if taken
    }

    /// <summary>Loads and plans <paramref name="path"/> (null: the default); on failure prints every problem and returns null.</summary>
    public static PipelinePlan? LoadAndPlan(string? path, OperatorCatalog catalog, TextWriter errors) => LoadAndPlan(path, catalog, errors, out _);

    /// <summary>
    /// As above; <paramref name="exitCode"/> tells a run how to end when planning failed: 4 when every problem is an
    /// output that cannot be written (a read-only folder), else 2 (the file is invalid).
    /// </summary>
    public static PipelinePlan? LoadAndPlan(string? path, OperatorCatalog catalog, TextWriter errors, out int exitCode, string? loadBalancer = null, string? nodeName = null)
    {
        exitCode = Engine.Runtime.ExitCodes.Usage;
        var loaded = path is null ? PipelineLoader.Load(WithFreePorts(ReadDefault()), DefaultName) : PipelineLoader.LoadFile(path);
        if (loadBalancer is not null && loaded.Spec is { } spec && WithLoadBalancer(spec, loadBalancer) is { } lbError)
        {
            errors.WriteLine($"error: --lb: {lbError}");
            return null;
        }

        if (nodeName is not null && loaded.Spec is { } named && WithNodeName(named, nodeName) is { } nameError)
        {
            errors.WriteLine($"error: --node-name: {nameError}");
            return null;
        }

        var planned = PipelinePlanner.Plan(loaded, catalog); // the loader's and the planner's problems, in one pass
        if (planned.Ok) return planned.Plan;
        if (planned.Diagnostics.All(d => d.Output)) exitCode = Engine.Runtime.ExitCodes.OutputFailed;
        Report(planned.Diagnostics, errors);
        return null;
    }

    /// <summary>
    /// <c>--lb URI</c>: every EJFAT receiver of the pipeline registers with that load balancer, and every EJFAT sender
    /// sends through it (its 'dest' replaced); an error when the pipeline has neither.
    /// </summary>
    internal static string? WithLoadBalancer(PipelineSpec spec, string uri)
    {
        var nodes = spec.Nodes.Where(n => n.Operator is "ejfat-receiver" or "ejfat-sender").ToList();
        if (nodes.Count == 0) return $"pipeline '{spec.Name}' has no ejfat-receiver or ejfat-sender to connect to the load balancer";
        foreach (var n in nodes)
        {
            n.Config["lb"] = new ConfigValue(uri, null, new SourceLocation("--lb", 1, 1));
            if (n.Operator == "ejfat-sender") n.Config.Remove("dest");
        }

        return null;
    }

    /// <summary><c>--node-name NAME</c>: the pipeline's EJFAT receivers register as NAME, NAME-2, ...; an error when it has none.</summary>
    internal static string? WithNodeName(PipelineSpec spec, string name)
    {
        if (name.Length == 0 || name.Length > 200 || name.Any(char.IsWhiteSpace)) return $"'{name}' is not a name (1-200 characters, no spaces)";
        var receivers = spec.Nodes.Where(n => n.Operator == "ejfat-receiver").ToList();
        if (receivers.Count == 0) return $"pipeline '{spec.Name}' has no ejfat-receiver to name";
        for (var i = 0; i < receivers.Count; i++)
        {
            receivers[i].Config["lb-name"] = new ConfigValue(i == 0 ? name : $"{name}-{i + 1}", null, new SourceLocation("--node-name", 1, 1));
        }

        return null;
    }

    /// <summary>
    /// The spec of <paramref name="path"/> when it is a control process for node pipelines (only a <c>control:</c>
    /// section with <c>node-pipeline</c>: <see cref="PipelineSpec.IsControlOnly"/>); null for any other file, which is
    /// then loaded, planned and reported as usual.
    /// </summary>
    public static PipelineSpec? ControlOnly(string path)
    {
        var loaded = PipelineLoader.LoadFile(path);
        return loaded.Ok && loaded.Spec!.IsControlOnly ? loaded.Spec : null;
    }

    private static void Report(IReadOnlyList<Diagnostic> diagnostics, TextWriter errors)
    {
        // A file that could not be read at all (line 0) is one line: "error: PATH: is a directory".
        if (diagnostics is [{ Location.Line: 0 } only])
        {
            errors.WriteLine($"error: {only.Location}: {only.Message}");
            return;
        }

        foreach (var d in diagnostics) errors.WriteLine($"{d.Location}: error: {d.Message}{FlagHint(d.Message)}");
        errors.WriteLine($"{diagnostics.Count} error(s)");
    }

    /// <summary>The command-line flags that go with a problem the engine reports in its own words (it names no flags).</summary>
    private static string FlagHint(string message) =>
        message.StartsWith("'placement' of ", StringComparison.Ordinal) ? "; workers join with 'streams worker --join tcp://HOST:PORT'" : string.Empty;
}

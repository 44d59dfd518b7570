using System.Diagnostics;
using Streams.Control.Nodes;

namespace Streams.Jrm;

/// <summary>How local worker processes are started.</summary>
public sealed record LocalOptions
{
    /// <summary>The coordinator the workers join (<c>tcp://HOST:PORT</c>).</summary>
    public required string Join { get; init; }

    /// <summary>Program and leading arguments that run Streams, e.g. <c>["dotnet", "/opt/streams/streams.dll"]</c>.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>Threads per worker process.</summary>
    public int Cores { get; init; } = 1;
}

/// <summary>
/// Nodes as local processes: each request starts <c>streams worker --join</c> on this machine. A node is booting until
/// its worker reports that it joined, ready while it runs, gone when it exits cleanly, failed otherwise. Release with
/// drain sends SIGTERM (the worker finishes its batches and leaves); without drain it is killed.
/// </summary>
public sealed class LocalProvider(LocalOptions options) : INodeProvider, IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Node> _nodes = [];
    private int _next;

    public string Name => "local";

    public int CoresPerNode => options.Cores;

    public string Request()
    {
        var id = $"local-{Environment.ProcessId}-{Interlocked.Increment(ref _next)}";
        var psi = new ProcessStartInfo(options.Command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in options.Command.Skip(1)) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "worker", "--join", options.Join, "--name", id, "--threads", options.Cores.ToString(System.Globalization.CultureInfo.InvariantCulture), "--metrics-listen", "127.0.0.1:0" }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {options.Command[0]}");
        var node = new Node(id, p, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("joined pipeline", StringComparison.Ordinal) == true) node.Joined = true;
        };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        lock (_gate) _nodes.Add(node);
        return id;
    }

    public void Release(string id, bool drain)
    {
        Node? node;
        lock (_gate) node = _nodes.FirstOrDefault(n => n.Id == id);
        if (node is null || node.Process.HasExited) return;
        if (drain)
        {
            using var kill = Process.Start("kill", ["-TERM", node.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill?.WaitForExit();
            node.Draining = true;
        }
        else
        {
            node.Process.Kill(entireProcessTree: true);
        }
    }

    public IReadOnlyList<NodeInfo> List()
    {
        lock (_gate)
        {
            var list = _nodes.Select(n => new NodeInfo(n.Id, StateOf(n), options.Cores, n.RequestedAt)).ToList();
            _nodes.RemoveAll(n => n.Process.HasExited && n.Reported);
            foreach (var n in _nodes.Where(n => n.Process.HasExited)) n.Reported = true;
            return list;
        }
    }

    private static NodeState StateOf(Node n)
    {
        if (n.Process.HasExited) return n.Process.ExitCode == 0 || n.Draining ? NodeState.Gone : NodeState.Failed;
        if (n.Draining) return NodeState.Draining;
        return n.Joined ? NodeState.Ready : NodeState.Booting;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var n in _nodes)
            {
                if (!n.Process.HasExited) n.Process.Kill(entireProcessTree: true);
                n.Process.Dispose();
            }

            _nodes.Clear();
        }
    }

    private sealed class Node(string id, Process process, double requestedAt)
    {
        public string Id { get; } = id;

        public Process Process { get; } = process;

        public double RequestedAt { get; } = requestedAt;

        public volatile bool Joined;

        public volatile bool Draining;

        public bool Reported { get; set; }
    }
}

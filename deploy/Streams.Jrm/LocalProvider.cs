using System.Diagnostics;
using System.Globalization;
using Streams.Control.Nodes;

namespace Streams.Jrm;

/// <summary>How local worker processes are started.</summary>
public sealed record LocalOptions
{
    /// <summary>The coordinator the workers join (<c>tcp://HOST:PORT</c>); unused with <see cref="Node"/>.</summary>
    public string? Join { get; init; }

    /// <summary>What node ID runs, when not a worker that joins <see cref="Join"/> (a node pipeline behind a load balancer).</summary>
    public Func<string, NodeCommandLine>? Node { get; init; }

    /// <summary>When set, node ID runs in DIRECTORY/ID (created) and its output goes to DIRECTORY/ID/node.log; else it runs here and its output is dropped.</summary>
    public string? NodesDirectory { get; init; }

    /// <summary>What node <paramref name="id"/> runs.</summary>
    public NodeCommandLine LineFor(string id) =>
        Node?.Invoke(id) ?? new WorkerCommandLine(Join ?? throw new InvalidOperationException("LocalOptions: neither Join nor Node is set"), id, Cores);

    /// <summary>Program and leading arguments that run Streams, e.g. <c>["dotnet", "/opt/streams/streams.dll"]</c>.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>Threads per worker process.</summary>
    public int Cores { get; init; } = 1;

    /// <summary>Node names are PREFIX-PID-N: a prefix per site keeps the nodes of two local sites apart.</summary>
    public string NamePrefix { get; init; } = "local";
}

/// <summary>
/// Nodes as local processes: each request starts <c>streams worker --join</c> on this machine under a name of its
/// own (<c>local-PID-N</c>, also the node's id; <see cref="LocalOptions.NamePrefix"/>). A node is booting until the coordinator reports that a worker process
/// of that name joined (<c>hasWorker</c>, the coordinator's <c>HasWorker</c>), ready while it runs, draining once
/// released with drain, gone when it exits cleanly or after a drain, failed otherwise. Release with drain sends SIGTERM
/// (the worker finishes its batches and leaves); without drain it is killed.
/// </summary>
/// <param name="options">What to start.</param>
/// <param name="hasWorker">True once a worker process of that name has joined the coordinator.</param>
/// <param name="time">The clock of <see cref="NodeInfo.RequestedAt"/>.</param>
public sealed class LocalProvider(LocalOptions options, Func<string, bool> hasWorker, TimeProvider? time = null) : INodeProvider, IDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly List<Node> _nodes = [];
    private int _next;

    public string Name => "local";

    public int CoresPerNode => options.Cores;

    public Task<string> RequestAsync(CancellationToken cancel = default)
    {
        var id = $"{options.NamePrefix}-{Environment.ProcessId}-{Interlocked.Increment(ref _next)}";
        // A node pipeline runs in a session of its own (setsid): a Ctrl+C at the terminal reaches the control process
        // only, which then drains each node with one SIGTERM (a second signal would abort the node).
        var command = options.Node is not null && File.Exists("/usr/bin/setsid") ? ["/usr/bin/setsid", .. options.Command] : options.Command;
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        foreach (var a in options.LineFor(id).Arguments) psi.ArgumentList.Add(a);
        StreamWriter? output = null;
        if (options.NodesDirectory is { } root)
        {
            psi.WorkingDirectory = Directory.CreateDirectory(Path.Combine(root, id)).FullName;
            output = new StreamWriter(Path.Combine(psi.WorkingDirectory, "node.log")) { AutoFlush = true };
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {options.Command[0]}");
        // Its output is read (kept in node.log, or dropped) so that a chatty node never blocks on a full pipe; readiness
        // comes from the coordinator (or the load balancer).
        var outputGate = new Lock();
        void Keep(string? line)
        {
            if (line is null || output is null) return;
            lock (outputGate)
            {
                try
                {
                    output.WriteLine(line);
                }
                catch (ObjectDisposedException)
                {
                    // a last line after the node was forgotten
                }
            }
        }

        p.ErrorDataReceived += (_, e) => Keep(e.Data);
        p.OutputDataReceived += (_, e) => Keep(e.Data);
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        lock (_gate) _nodes.Add(new Node(id, p, _time.GetUtcNow()) { Output = output });
        return Task.FromResult(id);
    }

    public async Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default)
    {
        Node? node;
        lock (_gate) node = _nodes.FirstOrDefault(n => n.Id == id);
        if (node is null || node.Process.HasExited) return;
        if (drain)
        {
            if (node.Draining) return; // once: a second SIGTERM tells a node to abort

            node.Draining = true;
            using var kill = Process.Start("kill", ["-TERM", node.Process.Id.ToString(CultureInfo.InvariantCulture)]);
            if (kill is not null) await kill.WaitForExitAsync(cancel).ConfigureAwait(false);
        }
        else
        {
            node.Process.Kill(entireProcessTree: true);
        }
    }

    public Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancel = default)
    {
        lock (_gate)
        {
            var list = _nodes.Select(n => new NodeInfo(n.Id, StateOf(n), options.Cores, n.RequestedAt)).ToList();
            var over = _nodes.Where(n => n.Process.HasExited && n.Reported).ToList();
            _nodes.RemoveAll(over.Contains);
            foreach (var n in over)
            {
                n.Output?.Dispose();
                n.Process.Dispose();
            }

            foreach (var n in _nodes.Where(n => n.Process.HasExited)) n.Reported = true;
            return Task.FromResult<IReadOnlyList<NodeInfo>>(list);
        }
    }

    private NodeState StateOf(Node n)
    {
        if (n.Process.HasExited) return n.Process.ExitCode == 0 || n.Draining ? NodeState.Gone : NodeState.Failed;
        if (n.Draining) return NodeState.Draining;
        return hasWorker(n.Id) ? NodeState.Ready : NodeState.Booting;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var n in _nodes)
            {
                if (!n.Process.HasExited) n.Process.Kill(entireProcessTree: true);
                n.Process.Dispose();
                n.Output?.Dispose();
            }

            _nodes.Clear();
        }
    }

    private sealed class Node(string id, Process process, DateTimeOffset requestedAt)
    {
        public string Id { get; } = id;

        public Process Process { get; } = process;

        public DateTimeOffset RequestedAt { get; } = requestedAt;

        public volatile bool Draining;

        public bool Reported { get; set; }

        public StreamWriter? Output { get; init; }
    }
}

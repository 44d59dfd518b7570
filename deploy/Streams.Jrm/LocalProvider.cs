using System.Diagnostics;
using System.Globalization;
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
/// Nodes as local processes: each request starts <c>streams worker --join</c> on this machine under a name of its
/// own (<c>local-PID-N</c>, also the node's id). A node is booting until the coordinator reports that a worker process
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
        var id = $"local-{Environment.ProcessId}-{Interlocked.Increment(ref _next)}";
        var psi = new ProcessStartInfo(options.Command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in options.Command.Skip(1)) psi.ArgumentList.Add(a);
        foreach (var a in new WorkerCommandLine(options.Join, id, options.Cores).Arguments) psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {options.Command[0]}");
        // Its output is read (and dropped) so that a chatty worker never blocks on a full pipe; readiness comes from the coordinator.
        p.ErrorDataReceived += (_, _) => { };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        lock (_gate) _nodes.Add(new Node(id, p, _time.GetUtcNow()));
        return Task.FromResult(id);
    }

    public async Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default)
    {
        Node? node;
        lock (_gate) node = _nodes.FirstOrDefault(n => n.Id == id);
        if (node is null || node.Process.HasExited) return;
        if (drain)
        {
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
            _nodes.RemoveAll(n => n.Process.HasExited && n.Reported);
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
    }
}

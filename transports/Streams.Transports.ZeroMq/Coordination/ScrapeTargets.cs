using System.Text.Json;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// Prometheus file-based service discovery written by the coordinator: the coordinator's own metrics endpoint and
/// that of every connected worker that has one (a worker started with <c>--metrics-listen</c> says where in its HELLO),
/// so Prometheus finds workers on SLURM or Kubernetes nodes without hand-copied ports. Format (file_sd_configs):
/// <c>[{"targets": ["HOST:PORT"], "labels": {"pipeline": ..., "role": "coordinator"|"worker", "worker": NAME}}]</c>.
/// The file is replaced atomically (write, then rename) whenever the set changes. Thread-safe.
/// </summary>
public sealed class ScrapeTargets
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly string _path;
    private readonly string _pipeline;
    private readonly SortedDictionary<string, (string Target, string Role)> _workers = new(StringComparer.Ordinal); // name -> host:port, role
    private readonly Lock _gate = new();
    private string? _coordinator;

    public ScrapeTargets(string path, string pipeline)
    {
        _path = Path.GetFullPath(path ?? throw new ArgumentNullException(nameof(path)));
        _pipeline = pipeline;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        Write();
    }

    public string FilePath => _path;

    /// <summary>The coordinator's own metrics endpoint (host:port), or null when it serves none.</summary>
    public void SetCoordinator(string? hostPort)
    {
        lock (_gate)
        {
            _coordinator = hostPort;
            Write();
        }
    }

    /// <summary>
    /// A connected worker's metrics endpoint (or, with <paramref name="role"/> <c>node</c>, a node pipeline's); null (no
    /// endpoint) leaves it out. Its target group is labelled <c>role=ROLE</c> and <c>ROLE=NAME</c>.
    /// </summary>
    public void SetWorker(string name, string? hostPort, string role = "worker")
    {
        lock (_gate)
        {
            if (hostPort is null ? !_workers.Remove(name) : _workers.TryGetValue(name, out var old) && old == (hostPort, role)) return;
            if (hostPort is not null) _workers[name] = (hostPort, role);
            Write();
        }
    }

    /// <summary>Names listed now (workers and nodes).</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate) return [.. _workers.Keys];
        }
    }

    public void RemoveWorker(string name)
    {
        lock (_gate)
        {
            if (_workers.Remove(name)) Write();
        }
    }

    private void Write()
    {
        var groups = new List<object>();
        if (_coordinator is not null) groups.Add(new { targets = new[] { _coordinator }, labels = new Dictionary<string, string> { ["pipeline"] = _pipeline, ["role"] = "coordinator" } });
        foreach (var (name, (target, role)) in _workers)
        {
            groups.Add(new { targets = new[] { target }, labels = new Dictionary<string, string> { ["pipeline"] = _pipeline, ["role"] = role, [role] = name } });
        }

        var temp = _path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(groups, Indented));
        File.Move(temp, _path, overwrite: true);
    }
}

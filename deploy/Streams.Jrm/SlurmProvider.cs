using System.Globalization;
using System.Text.Json;
using Streams.Control.Nodes;

namespace Streams.Jrm;

/// <summary>Where and how SLURM pilot jobs run.</summary>
public sealed record SlurmOptions
{
    /// <summary>The coordinator the pilot's worker joins (<c>tcp://HOST:PORT</c>); unused with <see cref="Node"/>.</summary>
    public string? Join { get; init; }

    /// <summary>
    /// What a pilot runs, given its name (<c>slurm-$SLURM_JOB_ID</c>, expanded by the pilot's shell), when not a worker
    /// that joins <see cref="Join"/>: a node pipeline behind a load balancer. It runs in STATE/slurm-JOBID.
    /// </summary>
    public Func<string, NodeCommandLine>? Node { get; init; }

    /// <summary>The command that starts Streams on the node (e.g. <c>streams</c>, <c>dotnet /opt/streams/streams.dll</c>, or a container run line).</summary>
    public required string StreamsCommand { get; init; }

    /// <summary>Folder for pilot scripts, their output and the provider's state file.</summary>
    public required string StateDirectory { get; init; }

    public string? Partition { get; init; }

    public string? Account { get; init; }

    public string? Qos { get; init; }

    public string? Constraint { get; init; }

    /// <summary>Walltime of a pilot (sbatch -t), e.g. 00:30:00.</summary>
    public string Walltime { get; init; } = "00:30:00";

    /// <summary>Cores per pilot (sbatch -n); also the worker's threads.</summary>
    public int Cores { get; init; } = 1;

    /// <summary>Seconds before the walltime at which the worker is told to drain (SIGTERM from SLURM's --signal).</summary>
    public int DrainBeforeEndSeconds { get; init; } = 120;

    /// <summary>
    /// Seconds before the walltime from which a running pilot is listed as <see cref="NodeState.Draining"/>: it still
    /// works, but no longer counts as capacity, so the controller requests its replacement while it runs (a new pilot
    /// then has this long to queue and boot before the old one leaves). 0 turns replacement ahead of time off.
    /// </summary>
    public int ReplaceBeforeEndSeconds { get; init; } = 300;

    /// <summary>Variables set for sbatch, squeue and scancel: a site's own <c>SLURM_CONF</c> addresses another cluster.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>The cluster sbatch, squeue and scancel address (<c>-M</c>, a multi-cluster setup); null: the one SLURM_CONF names.</summary>
    public string? Cluster { get; init; }

    /// <summary>Worker names are PREFIX-JOBID: a prefix per cluster keeps them apart, since two clusters hand out the same job ids.</summary>
    public string NamePrefix { get; init; } = "slurm";

    /// <summary>The environment that points SLURM's commands at <paramref name="slurmConf"/> (null: this process's own).</summary>
    public static IReadOnlyDictionary<string, string>? ConfEnvironment(string? slurmConf) =>
        slurmConf is null ? null : new Dictionary<string, string>(StringComparer.Ordinal) { ["SLURM_CONF"] = slurmConf };
}

/// <summary>
/// Nodes as SLURM pilot jobs (the JIRIAF path): each request is an <c>sbatch</c> of a pilot script that runs
/// <c>streams worker --join</c> (exec'd, so the job's signals reach the worker) under the name <c>PREFIX-JOBID</c>
/// (<see cref="NodeName"/>; <c>slurm-JOBID</c> by default); all jobs are tracked with one batched <c>squeue</c>; release with drain sends SIGTERM to
/// a running pilot (the worker finishes its batches and leaves; the node is draining until its job ends), a pending one
/// and release without drain are <c>scancel</c>led. SLURM sends SIGTERM <see cref="SlurmOptions.DrainBeforeEndSeconds"/>
/// before the walltime, so a pilot drains on its own before it is killed; from
/// <see cref="SlurmOptions.ReplaceBeforeEndSeconds"/> before the walltime (squeue's time left) a pilot is listed as
/// draining, so its replacement is requested ahead of time. Job ids are kept in a state file, so a restarted coordinator
/// finds its jobs again. State map: PENDING/CONFIGURING/REQUEUE* booting; RUNNING/COMPLETING ready once the coordinator
/// reports that its worker joined (booting until then; without <c>hasWorker</c>, ready when running); COMPLETED,
/// CANCELLED, TIMEOUT, PREEMPTED or gone from squeue: gone; anything else failed.
/// </summary>
public sealed class SlurmProvider : INodeProvider
{
    private readonly SlurmOptions _o;
    private readonly ICommandRunner _run;
    private readonly Func<string, bool>? _hasWorker;
    private readonly TimeProvider _time;
    private readonly string _stateFile;
    private readonly Dictionary<string, double> _jobs = new(StringComparer.Ordinal); // job id -> requested at (unix s)
    private readonly Dictionary<string, NodeState> _last = new(StringComparer.Ordinal); // job id -> state as last listed
    private readonly HashSet<string> _draining = new(StringComparer.Ordinal); // released with drain while running
    private readonly Lock _gate = new();

    /// <param name="options">Where pilots run.</param>
    /// <param name="runner">Runs sbatch, squeue and scancel (default: child processes).</param>
    /// <param name="hasWorker">True once a worker process of that name has joined the coordinator (its <c>HasWorker</c>).</param>
    /// <param name="time">The clock of <see cref="NodeInfo.RequestedAt"/>.</param>
    public SlurmProvider(SlurmOptions options, ICommandRunner? runner = null, Func<string, bool>? hasWorker = null, TimeProvider? time = null)
    {
        _o = options ?? throw new ArgumentNullException(nameof(options));
        _run = runner ?? new ProcessRunner(environment: _o.Environment);
        _hasWorker = hasWorker;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(_o.StateDirectory);
        _stateFile = Path.Combine(_o.StateDirectory, "slurm-jobs.json");
        if (File.Exists(_stateFile))
        {
            foreach (var (id, at) in JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(_stateFile)) ?? []) _jobs[id] = at;
        }
    }

    public string Name => "slurm";

    public int CoresPerNode => _o.Cores;

    /// <summary>Job ids this provider is tracking (from this run and any earlier one that used the same state folder).</summary>
    public IReadOnlyCollection<string> Jobs
    {
        get
        {
            lock (_gate) return [.. _jobs.Keys];
        }
    }

    /// <summary>The name the worker process of job <paramref name="jobId"/> joins under (the default prefix).</summary>
    public static string WorkerName(string jobId) => $"slurm-{jobId}";

    /// <summary>The name the worker process (or node pipeline) of job <paramref name="jobId"/> runs under: PREFIX-JOBID.</summary>
    public string NodeName(string jobId) => $"{_o.NamePrefix}-{jobId}";

    /// <summary>The arguments that address <see cref="SlurmOptions.Cluster"/> (none without one).</summary>
    private IEnumerable<string> ClusterArgs => _o.Cluster is { } c ? ["-M", c] : [];

    public string Describe(NodeCall operation) => operation switch
    {
        NodeCall.Request => "sbatch",
        NodeCall.Release => "scancel",
        _ => "squeue",
    };

    /// <summary>The pilot script (also written to the state folder for each job).</summary>
    public string PilotScript() => (_o.Node is { } node ? $"""
        #!/bin/bash
        # Streams pilot job: one node pipeline that registers with the load balancer and receives its share straight from it.
        # SLURM signals TERM {_o.DrainBeforeEndSeconds} s before the walltime; the node then deregisters, drains and leaves.
        # It runs in a folder of its own (its outputs, its summary, and its metrics endpoint for Prometheus).
        dir="{_o.StateDirectory}/{NodeName("$SLURM_JOB_ID")}"
        mkdir -p "$dir" && cd "$dir" || exit 1
        echo "streams pilot $SLURM_JOB_ID on $(hostname), node pipeline in $dir"
        exec {node(NodeName("$SLURM_JOB_ID")).ForShell(_o.StreamsCommand)}
        """ : $"""
        #!/bin/bash
        # Streams pilot job: one worker that joins the coordinator and runs the stages it is given.
        # SLURM signals TERM {_o.DrainBeforeEndSeconds} s before the walltime; the worker then drains and leaves.
        # Its metrics endpoint (any free port) is announced to the coordinator, which lists it for Prometheus.
        echo "streams pilot $SLURM_JOB_ID on $(hostname), joining {_o.Join}"
        exec {new WorkerCommandLine(_o.Join ?? throw new InvalidOperationException("SlurmOptions: neither Join nor Node is set"), NodeName("$SLURM_JOB_ID"), _o.Cores) { MetricsListen = "0.0.0.0:0" }.ForShell(_o.StreamsCommand)}
        """).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";

    /// <summary>The working directory of the node pipeline of job <paramref name="jobId"/> (with <see cref="SlurmOptions.Node"/>).</summary>
    public string NodeDirectory(string jobId) => Path.Combine(_o.StateDirectory, NodeName(jobId));

    public async Task<string> RequestAsync(CancellationToken cancel = default)
    {
        var script = Path.Combine(_o.StateDirectory, "pilot.sh");
        await File.WriteAllTextAsync(script, PilotScript(), cancel).ConfigureAwait(false);
        List<string> args = ["--parsable", "-J", _o.Node is null ? "streams-worker" : "streams-node", "-N", "1", "-n", _o.Cores.ToString(CultureInfo.InvariantCulture), "-t", _o.Walltime,
            $"--signal=B:TERM@{_o.DrainBeforeEndSeconds}", "-o", Path.Combine(_o.StateDirectory, "pilot-%j.out")];
        if (_o.Partition is { } p) args.AddRange(["-p", p]);
        if (_o.Account is { } a) args.AddRange(["-A", a]);
        if (_o.Qos is { } q) args.AddRange(["-q", q]);
        if (_o.Constraint is { } c) args.AddRange(["-C", c]);
        args.AddRange(ClusterArgs);
        args.Add(script);
        var (code, stdout, stderr) = await _run.RunAsync("sbatch", args, cancel).ConfigureAwait(false);
        var id = stdout.Trim().Split(';')[0];
        if (code != 0 || id.Length == 0 || !id.All(char.IsDigit)) throw new InvalidOperationException($"sbatch failed ({code}): {stderr.Trim()} {stdout.Trim()}");
        lock (_gate)
        {
            _jobs[id] = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
            Save();
        }

        return id;
    }

    public async Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default)
    {
        // With drain, TERM goes to the batch shell, which is the worker (exec): it finishes its batches and leaves. A pilot
        // last listed as not running yet (or its worker not joined) has no worker to drain: it is cancelled.
        bool running;
        lock (_gate)
        {
            if (drain && _draining.Contains(id)) return; // signalled once: a second TERM tells a node to abort
            running = _last.GetValueOrDefault(id, NodeState.Ready) is NodeState.Ready or NodeState.Draining;
        }

        var signal = drain && running;
        var (code, _, stderr) = await _run.RunAsync("scancel", [.. ClusterArgs, .. signal ? ["--signal=TERM", "--batch", id] : new[] { id }], cancel).ConfigureAwait(false);
        if (code != 0) throw new InvalidOperationException($"scancel {id} failed ({code}): {stderr.Trim()}");
        if (signal)
        {
            lock (_gate) _draining.Add(id);
        }
    }

    public async Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancel = default)
    {
        Dictionary<string, double> jobs;
        lock (_gate) jobs = new(_jobs);
        if (jobs.Count == 0) return [];
        var (code, stdout, stderr) = await _run.RunAsync("squeue", [.. ClusterArgs, "-h", "-t", "all", "-o", "%A|%N|%T|%L", $"--job={string.Join(',', jobs.Keys)}"], cancel).ConfigureAwait(false);
        // squeue exits non-zero when every listed job has left its memory: they are all gone then.
        var states = new Dictionary<string, NodeState>(StringComparer.Ordinal);
        if (code == 0)
        {
            foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var f = line.Split('|');
                if (f.Length < 3) continue;
                var state = Map(f[2]);
                if (state == NodeState.Ready && _hasWorker is { } joined && !joined(NodeName(f[0])))
                {
                    state = NodeState.Booting; // running, its worker not joined yet
                }
                else if (state == NodeState.Ready && f.Length >= 4 && _o.ReplaceBeforeEndSeconds > 0 && TimeLeftSeconds(f[3]) is { } left && left <= _o.ReplaceBeforeEndSeconds)
                {
                    state = NodeState.Draining; // near its walltime: still working, but to be replaced now
                }

                states[f[0]] = state;
            }
        }
        else if (!stderr.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"squeue failed ({code}): {stderr.Trim()}");
        }

        lock (_gate)
        {
            var list = jobs.Select(j =>
            {
                var state = states.TryGetValue(j.Key, out var st) ? st : NodeState.Gone;
                if (state is NodeState.Ready or NodeState.Booting && _draining.Contains(j.Key)) state = NodeState.Draining;
                return new NodeInfo(j.Key, state, _o.Cores, DateTimeOffset.FromUnixTimeMilliseconds((long)(j.Value * 1000)));
            }).ToList();

            // Forget jobs that are over, so the state file holds only live ones.
            foreach (var n in list)
            {
                _last[n.Id] = n.State;
                if (n.State is not (NodeState.Gone or NodeState.Failed)) continue;
                _jobs.Remove(n.Id);
                _last.Remove(n.Id);
                _draining.Remove(n.Id);
            }

            Save();
            return list;
        }
    }

    /// <summary>SLURM job state to node state; null (missing from squeue) means the job is over.</summary>
    public static NodeState Map(string? slurmState) => slurmState switch
    {
        null or "" => NodeState.Gone,
        "PENDING" or "CONFIGURING" => NodeState.Booting,
        _ when slurmState.StartsWith("REQUEUE", StringComparison.Ordinal) => NodeState.Booting,
        "RUNNING" or "COMPLETING" => NodeState.Ready,
        "COMPLETED" or "CANCELLED" or "TIMEOUT" or "PREEMPTED" => NodeState.Gone,
        _ => NodeState.Failed,
    };

    /// <summary>squeue's time left (<c>%L</c>: <c>MM:SS</c>, <c>H:MM:SS</c>, <c>D-HH:MM:SS</c>) in seconds; null for UNLIMITED, NOT_SET, INVALID.</summary>
    public static double? TimeLeftSeconds(string timeLeft)
    {
        var t = timeLeft.Trim();
        var days = 0;
        var dash = t.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0)
        {
            if (!int.TryParse(t.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out days)) return null;
            t = t[(dash + 1)..];
        }

        var parts = t.Split(':');
        if (parts.Length is < 1 or > 3) return null;
        double seconds = 0;
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return null;
            seconds = seconds * 60 + v;
        }

        // With a day count, H:MM:SS is always complete; a lone number is minutes in SLURM's duration syntax.
        if (parts.Length == 1) seconds *= 60;
        return days * 86400 + seconds;
    }

    private void Save() => File.WriteAllText(_stateFile, JsonSerializer.Serialize(_jobs));
}

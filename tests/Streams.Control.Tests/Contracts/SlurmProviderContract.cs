using System.Collections.Concurrent;
using System.Globalization;
using Streams.Control.Nodes;
using Streams.Jrm;

namespace Streams.Control.Tests.Contracts;

/// <summary>
/// The contract over <see cref="SlurmProvider"/> with a stand-in scheduler answering sbatch, squeue and scancel as
/// SLURM does (the real one runs it in the integration tests); "joined" is what the coordinator would report for the
/// pilot's worker name.
/// </summary>
public sealed class SlurmProviderContract : NodeProviderContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streams-slurm-contract-").FullName;
    private readonly Scheduler _slurm = new();
    private readonly ConcurrentDictionary<string, bool> _joined = new(StringComparer.Ordinal);
    private readonly SlurmProvider _provider;

    public SlurmProviderContract() =>
        _provider = new SlurmProvider(new SlurmOptions { Join = "tcp://10.0.0.1:5555", StreamsCommand = "streams", StateDirectory = _dir, Cores = 8 }, _slurm, name => _joined.ContainsKey(name));

    protected override INodeProvider Provider => _provider;

    protected override Task JoinAsync(string id)
    {
        _slurm.Jobs[id] = "RUNNING";
        _joined[SlurmProvider.WorkerName(id)] = true;
        return Task.CompletedTask;
    }

    protected override Task DieAsync(string id)
    {
        _slurm.Jobs[id] = "FAILED";
        return Task.CompletedTask;
    }

    protected override Task LeaveAsync(string id)
    {
        Assert.True(_slurm.Signalled.ContainsKey(id), $"job {id} was never sent TERM");
        _slurm.Jobs[id] = "COMPLETED";
        return Task.CompletedTask;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>sbatch queues a job (PENDING); squeue prints the jobs asked for; scancel --signal=TERM --batch signals, plain scancel cancels.</summary>
    private sealed class Scheduler : ICommandRunner
    {
        private int _next = 100;

        public ConcurrentDictionary<string, string> Jobs { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, bool> Signalled { get; } = new(StringComparer.Ordinal);

        public Task<(int Code, string Stdout, string Stderr)> RunAsync(string command, IReadOnlyList<string> args, CancellationToken cancel = default)
        {
            switch (command)
            {
                case "sbatch":
                    var id = Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);
                    Jobs[id] = "PENDING";
                    return Task.FromResult((0, id + "\n", ""));
                case "squeue":
                    var asked = args.Single(a => a.StartsWith("--job=", StringComparison.Ordinal))["--job=".Length..].Split(',');
                    var lines = asked.Where(Jobs.ContainsKey).Select(j => $"{j}|{(Jobs[j] == "RUNNING" ? "nid001" : "")}|{Jobs[j]}|25:00");
                    return Task.FromResult((0, string.Join('\n', lines) + "\n", ""));
                case "scancel":
                    var job = args[^1];
                    if (args.Contains("--signal=TERM")) Signalled[job] = true;
                    else Jobs[job] = "CANCELLED";
                    return Task.FromResult((0, "", ""));
                default:
                    return Task.FromResult((127, "", $"{command}: not found"));
            }
        }
    }
}

using Streams.Control.Nodes;
using Streams.Jrm;

namespace Streams.Control.Tests;

/// <summary>The SLURM provider against recorded command outputs (a real SLURM runs it in the integration tests).</summary>
public sealed class SlurmProviderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streams-slurm-").FullName;

    private sealed class Recorded : ICommandRunner
    {
        public List<(string Command, IReadOnlyList<string> Args)> Calls { get; } = [];

        public Dictionary<string, (int, string, string)> Replies { get; } = [];

        public Task<(int Code, string Stdout, string Stderr)> RunAsync(string command, IReadOnlyList<string> args, CancellationToken cancel = default)
        {
            Calls.Add((command, args));
            return Task.FromResult(Replies.TryGetValue(command, out var r) ? r : (0, "", ""));
        }
    }

    private SlurmOptions Options => new()
    {
        Join = "tcp://10.0.0.1:5555", StreamsCommand = "shifter --image=streams:1 -- streams", StateDirectory = _dir,
        Partition = "regular", Account = "m1234", Qos = "regular", Constraint = "cpu", Walltime = "00:30:00", Cores = 64,
    };

    [Fact]
    public async Task A_request_submits_a_pilot_with_the_site_settings_and_remembers_the_job()
    {
        var run = new Recorded { Replies = { ["sbatch"] = (0, "4242;perlmutter\n", "") } };
        var p = new SlurmProvider(Options, run);
        Assert.Equal("4242", await p.RequestAsync());
        var (cmd, args) = Assert.Single(run.Calls);
        Assert.Equal("sbatch", cmd);
        string[] expected = ["--parsable", "-N", "1", "-n", "64", "-t", "00:30:00", "--signal=B:TERM@120", "-p", "regular", "-A", "m1234", "-q", "regular", "-C", "cpu"];
        foreach (var e in expected) Assert.Contains(e, args);
        var script = File.ReadAllText(args[^1]);
        Assert.Contains("exec shifter --image=streams:1 -- streams worker --join tcp://10.0.0.1:5555 --name \"slurm-$SLURM_JOB_ID\" --threads 64 --metrics-listen 0.0.0.0:0", script, StringComparison.Ordinal);

        var again = new SlurmProvider(Options, run); // a restarted coordinator finds its jobs
        Assert.Equal(["4242"], again.Jobs);
    }

    [Fact]
    public async Task A_failed_submission_says_why()
    {
        var run = new Recorded { Replies = { ["sbatch"] = (1, "", "sbatch: error: invalid partition specified: regular") } };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => new SlurmProvider(Options, run).RequestAsync());
        Assert.Contains("invalid partition", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_squeue_lists_every_job_and_maps_slurm_states()
    {
        var run = new Recorded();
        var p = new SlurmProvider(Options, run);
        foreach (var id in new[] { "1", "2", "3", "4", "5" })
        {
            run.Replies["sbatch"] = (0, id + "\n", "");
            await p.RequestAsync();
        }

        run.Replies["squeue"] = (0, "1|nid001|RUNNING\n2||PENDING\n3||REQUEUE_HOLD\n4|nid002|TIMEOUT\n", "");
        var nodes = (await p.ListAsync()).ToDictionary(n => n.Id, n => n.State);
        Assert.Single(run.Calls, c => c.Command == "squeue");
        Assert.Contains("--job=1,2,3,4,5", run.Calls.Single(c => c.Command == "squeue").Args);
        Assert.Equal(NodeState.Ready, nodes["1"]);
        Assert.Equal(NodeState.Booting, nodes["2"]);
        Assert.Equal(NodeState.Booting, nodes["3"]);
        Assert.Equal(NodeState.Gone, nodes["4"]);  // TIMEOUT is an end, not an error
        Assert.Equal(NodeState.Gone, nodes["5"]);  // gone from squeue: completed
        Assert.Equal(["1", "2", "3"], p.Jobs.Order()); // finished jobs are forgotten
        Assert.Equal(NodeState.Failed, SlurmProvider.Map("NODE_FAIL"));
        Assert.Equal(NodeState.Ready, SlurmProvider.Map("COMPLETING"));
    }

    [Fact]
    public async Task Release_with_drain_signals_the_worker_and_without_cancels()
    {
        var run = new Recorded();
        var p = new SlurmProvider(Options, run);
        await p.ReleaseAsync("7", drain: true);
        await p.ReleaseAsync("8", drain: false);
        Assert.Equal(["--signal=TERM", "--batch", "7"], run.Calls[0].Args);
        Assert.Equal(["8"], run.Calls[1].Args);
    }

    [Fact]
    public async Task A_pilot_near_its_walltime_is_listed_as_draining_so_its_replacement_is_requested_while_it_works()
    {
        var run = new Recorded();
        var p = new SlurmProvider(Options with { ReplaceBeforeEndSeconds = 300 }, run);
        foreach (var id in new[] { "1", "2" })
        {
            run.Replies["sbatch"] = (0, id + "\n", "");
            await p.RequestAsync();
        }

        // Job 1 has 4:59 left (inside the 300 s window), job 2 has 25 minutes.
        run.Replies["squeue"] = (0, "1|nid001|RUNNING|4:59\n2|nid002|RUNNING|25:00\n", "");
        var nodes = (await p.ListAsync());
        Assert.Contains("%A|%N|%T|%L", run.Calls.Single(c => c.Command == "squeue").Args);
        Assert.Equal(NodeState.Draining, nodes.Single(n => n.Id == "1").State);
        Assert.Equal(NodeState.Ready, nodes.Single(n => n.Id == "2").State);

        // The controller's plan for two nodes counts only the one that stays: it asks for one more now.
        Assert.Equal(1, CapacitySplit.Plan(2, nodes).Request);
    }

    [Fact]
    public async Task A_site_of_its_own_cluster_addresses_it_in_every_command_and_names_its_workers_apart()
    {
        var run = new Recorded { Replies = { ["sbatch"] = (0, "7;hpc2\n", "") } };
        var p = new SlurmProvider(Options with { Cluster = "hpc2", NamePrefix = "slurm-hpc2" }, run, hasWorker: name => name == "slurm-hpc2-7");
        Assert.Equal("7", await p.RequestAsync());
        run.Replies["squeue"] = (0, "CLUSTER: hpc2\n7|nid001|RUNNING|20:00\n", "");
        Assert.Equal(NodeState.Ready, (await p.ListAsync()).Single().State); // its worker joined as slurm-hpc2-7, not slurm-7
        await p.ReleaseAsync("7", drain: false);
        Assert.All(run.Calls, c => Assert.Equal(["-M", "hpc2"], c.Args.SkipWhile(a => a != "-M").Take(2)));
        Assert.Contains("--name \"slurm-hpc2-$SLURM_JOB_ID\"", p.PilotScript(), StringComparison.Ordinal);
        Assert.EndsWith("slurm-hpc2-7", p.NodeDirectory("7"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_run_with_the_site_s_own_slurm_conf_in_their_environment()
    {
        var env = SlurmOptions.ConfEnvironment("/etc/slurm-hpc2/slurm.conf");
        Assert.Null(SlurmOptions.ConfEnvironment(null));
        var (code, stdout, _) = await new ProcessRunner(environment: env).RunAsync("/bin/sh", ["-c", "echo \"$SLURM_CONF\""]);
        Assert.Equal((0, "/etc/slurm-hpc2/slurm.conf"), (code, stdout.Trim()));
    }

    [Theory]
    [InlineData("4:59", 299.0)]
    [InlineData("1:00:00", 3600.0)]
    [InlineData("2-01:00:05", 2 * 86400 + 3605.0)]
    [InlineData("UNLIMITED", null)]
    [InlineData("INVALID", null)]
    public void Squeue_time_left_is_read_in_seconds(string text, double? seconds) => Assert.Equal(seconds, SlurmProvider.TimeLeftSeconds(text));

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

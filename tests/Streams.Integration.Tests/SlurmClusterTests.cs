using System.Diagnostics;

namespace Streams.Integration.Tests;

/// <summary>
/// deploy/slurm/local-cluster.sh brings up a real one-node SLURM (slurmctld, slurmd, munge) on which a batch job runs
/// the real `streams` command: the base the SLURM pilot jobs of the node providers build on.
/// </summary>
public sealed class SlurmClusterTests(TempDir dir) : IClassFixture<TempDir>
{
    private static readonly string Script = Path.Combine(StreamsProcess.RepoRoot, "deploy", "slurm", "local-cluster.sh");

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SLURM_CONF"] = "/tmp/streams-slurm/slurm.conf";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(300_000), $"{file} {string.Join(' ', args)} did not finish");
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public async Task A_batch_job_on_the_local_cluster_runs_the_streams_command()
    {
        var (code, output) = Run("bash", Script, "start");
        Assert.True(code == 0, $"local-cluster.sh start failed (it installs slurm-wlm and munge as root):\n{output}");

        var job = dir.Write("pilot.sh", $"""
            #!/bin/bash
            echo "job $SLURM_JOB_ID on $(hostname)"
            dotnet {Path.Combine(AppContext.BaseDirectory, "streams.dll")} --version
            """);
        var log = dir.File("pilot-%j.out");
        var (sb, submitted) = Run("sbatch", "--parsable", "-J", "streams-it", "-t", "5", "-o", log, job);
        Assert.True(sb == 0, submitted);
        var id = submitted.Trim().Split(';')[0];

        var deadline = DateTime.UtcNow.AddSeconds(120);
        string state;
        do
        {
            await Task.Delay(500);
            state = Run("squeue", "-h", "-t", "all", "-j", id, "-o", "%T").Output.Trim();
        }
        while (state is "PENDING" or "CONFIGURING" or "RUNNING" or "COMPLETING" && DateTime.UtcNow < deadline);

        var text = await File.ReadAllTextAsync(log.Replace("%j", id, StringComparison.Ordinal));
        Assert.True(state is "COMPLETED" or "", $"job {id} ended {state}:\n{text}"); // a job gone from squeue has completed
        Assert.Contains($"job {id} on", text, StringComparison.Ordinal);
        Assert.Matches(@"\d+\.\d+\.\d+", text);
        Assert.Equal(0, Run("bash", Script, "status").Code);
    }
}

using System.Diagnostics;

namespace Streams.Integration.Tests;

/// <summary>Runs a program other than `streams` (bash scripts, sbatch, squeue, podman, promtool) from the repository root.</summary>
internal static class ExternalCommand
{
    /// <summary>
    /// Runs <paramref name="file"/> to its end with <paramref name="environment"/> added, and returns its exit code and its
    /// output (stdout, then stderr). Killed, and the test failed, after <paramref name="timeoutSeconds"/>.
    /// </summary>
    public static (int Code, string Output) Run(string file, IReadOnlyDictionary<string, string>? environment, int timeoutSeconds, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = StreamsProcess.RepoRoot };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }

        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}

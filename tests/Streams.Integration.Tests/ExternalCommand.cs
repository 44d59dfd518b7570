using Streams.TestKit;

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
        using var p = ChildProcess.Start(file, args, Repository.Root, environment);
        var code = p.Wait(timeoutSeconds);
        return (code, p.Stdout + p.Stderr);
    }
}

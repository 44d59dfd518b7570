using System.Diagnostics;

namespace Streams.Jrm;

/// <summary>Runs an external command (sbatch, squeue, scancel) and returns its exit code and output.</summary>
public interface ICommandRunner
{
    (int Code, string Stdout, string Stderr) Run(string command, IReadOnlyList<string> args);
}

/// <summary>Runs commands as child processes, with a time limit.</summary>
public sealed class ProcessRunner(TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null) : ICommandRunner
{
    public (int Code, string Stdout, string Stderr) Run(string command, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {command}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            return (124, stdout.Result, $"{command} timed out");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

using System.Diagnostics;

namespace Streams.Jrm;

/// <summary>Runs an external command (sbatch, squeue, scancel) and returns its exit code and output.</summary>
public interface ICommandRunner
{
    /// <summary>Runs <paramref name="command"/>; cancelling <paramref name="cancel"/> kills it and throws <see cref="OperationCanceledException"/>.</summary>
    Task<(int Code, string Stdout, string Stderr)> RunAsync(string command, IReadOnlyList<string> args, CancellationToken cancel = default);
}

/// <summary>Runs commands as child processes, with a time limit on <paramref name="time"/> (exit code 124 when it is reached).</summary>
/// <param name="timeout">How long a command may run (60 s).</param>
/// <param name="environment">Variables set for the command (e.g. SLURM_CONF).</param>
/// <param name="time">The clock of the time limit.</param>
public sealed class ProcessRunner(TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null, TimeProvider? time = null) : ICommandRunner
{
    public async Task<(int Code, string Stdout, string Stderr)> RunAsync(string command, IReadOnlyList<string> args, CancellationToken cancel = default)
    {
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {command}");
        var stdout = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = p.StandardError.ReadToEndAsync(CancellationToken.None);
        using var overdue = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60), time ?? TimeProvider.System);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel, overdue.Token);
        try
        {
            await p.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            cancel.ThrowIfCancellationRequested();
            return (124, await stdout.ConfigureAwait(false), $"{command} timed out");
        }

        return (p.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}

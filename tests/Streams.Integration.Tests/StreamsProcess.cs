using Streams.TestKit;

namespace Streams.Integration.Tests;

/// <summary>Runs the real <c>streams</c> command (the built streams.dll) as a child process (the kit's <see cref="ChildProcess"/>).</summary>
internal sealed class StreamsProcess : IDisposable
{
    private readonly ChildProcess _child;

    private StreamsProcess(ChildProcess child) => _child = child;

    public static string RepoRoot => Repository.Root;

    public int Id => _child.Id;

    public string Stdout => _child.Stdout;

    public string Stderr => _child.Stderr;

    /// <summary>The child process itself (to wait for a line and read back what it printed).</summary>
    public ChildProcess Child => _child;

    public static StreamsProcess Start(params string[] args) => StartIn(Path.GetTempPath(), args);

    public static StreamsProcess StartIn(string workingDirectory, params string[] args) => StartWith(workingDirectory, null, args);

    public static StreamsProcess StartWith(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        new(ChildProcess.Start("dotnet", args.Prepend(Path.Combine(AppContext.BaseDirectory, "streams.dll")), workingDirectory, environment, "streams"));

    /// <summary>Runs to the end (at most <paramref name="timeoutSeconds"/>) and returns the exit code.</summary>
    public static Task<(int Code, string Stdout, string Stderr)> RunAsync(int timeoutSeconds, params string[] args) => RunInAsync(timeoutSeconds, Path.GetTempPath(), args);

    public static async Task<(int Code, string Stdout, string Stderr)> RunInAsync(int timeoutSeconds, string workingDirectory, params string[] args)
    {
        using var p = StartIn(workingDirectory, args);
        var code = await p.WaitAsync(timeoutSeconds);
        return (code, p.Stdout, p.Stderr);
    }

    public Task<int> WaitAsync(int timeoutSeconds) => _child.WaitAsync(timeoutSeconds);

    public Task WaitForOutputAsync(string text, int timeoutSeconds) => _child.WaitForOutputAsync(text, timeoutSeconds);

    /// <summary>Sends a POSIX signal (TERM, INT) with the real kill(1).</summary>
    public void Signal(string name) => _child.Signal(name);

    public void Dispose() => _child.Dispose();
}

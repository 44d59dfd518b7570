using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Streams.TestKit;

/// <summary>
/// An external process a test runs: its output collected as it comes, waits that end when the process exits or prints
/// what the test waits for (with a safety deadline that turns a hang into a failure), and killed with its children when
/// disposed.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly SemaphoreSlim _changed = new(0);
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly Lock _gate = new();

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    /// <summary>What the process is called in failure messages.</summary>
    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Standard output so far.</summary>
    public string Stdout
    {
        get
        {
            lock (_gate) return _out.ToString();
        }
    }

    /// <summary>Standard error so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_gate) return _err.ToString();
        }
    }

    /// <summary>
    /// Starts <paramref name="file"/> with <paramref name="args"/> in <paramref name="workingDirectory"/> (the temporary
    /// folder when null), with <paramref name="environment"/> added to this process's environment.
    /// </summary>
    public static ChildProcess Start(string file, IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        var child = new ChildProcess(p, name ?? Path.GetFileName(file));
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (child._gate) child._out.AppendLine(e.Data);
            child.Changed();
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (child._gate) child._err.AppendLine(e.Data);
            child.Changed();
        };
        p.EnableRaisingEvents = true;
        p.Exited += (_, _) => child.Changed();
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs <paramref name="file"/> to its end and returns its exit code and output; see <see cref="WaitAsync"/>.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args, int timeoutSeconds, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var p = Start(file, args, workingDirectory, environment);
        var code = await p.WaitAsync(timeoutSeconds);
        return (code, p.Stdout, p.Stderr);
    }

    /// <summary>
    /// Waits for the process to exit and returns its exit code; after <paramref name="timeoutSeconds"/> kills it and
    /// throws <see cref="TimeoutException"/> with its output.
    /// </summary>
    public async Task<int> WaitAsync(int timeoutSeconds)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Name} did not exit in {timeoutSeconds} s\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    /// <summary>
    /// Waits for the process to exit and returns its exit code, for tests that cannot await; after
    /// <paramref name="timeoutSeconds"/> kills it and fails the test with its output.
    /// </summary>
    public int Wait(int timeoutSeconds)
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"{Name} did not finish in {timeoutSeconds} s\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    /// <summary>Waits until <paramref name="text"/> appears on stdout or stderr; throws when the process exits first or after the timeout.</summary>
    public async Task WaitForOutputAsync(string text, int timeoutSeconds)
    {
        ArgumentNullException.ThrowIfNull(text);
        await WaitForAsync(() => Stdout.Contains(text, StringComparison.Ordinal) || Stderr.Contains(text, StringComparison.Ordinal), $"'{text}'", timeoutSeconds);
    }

    /// <summary>
    /// Waits until a line of stdout or stderr matches <paramref name="pattern"/> and returns the match (how a test
    /// reads back what the child chose, such as the port it bound when given port 0).
    /// </summary>
    public async Task<Match> WaitForMatchAsync(Regex pattern, int timeoutSeconds)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Match? found = null;
        await WaitForAsync(() => (found = First(pattern)) is not null, $"a line matching /{pattern}/", timeoutSeconds);
        return found!;
    }

    /// <summary>Kills the process and its children.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Completes when the process has exited (no deadline: pair it with <see cref="Kill"/> or use <see cref="WaitAsync"/>).</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken = default) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Sends a POSIX signal (TERM, INT, KILL) with the real kill(1).</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }

        _process.Dispose();
    }

    private Match? First(Regex pattern)
    {
        var m = pattern.Match(Stdout);
        if (m.Success) return m;
        m = pattern.Match(Stderr);
        return m.Success ? m : null;
    }

    private async Task WaitForAsync(Func<bool> printed, string what, int timeoutSeconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!printed())
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // the last lines may still be on their way
                if (printed()) return;
                throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before printing {what}\n{Stdout}\n{Stderr}");
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"{what} not printed by {Name} in {timeoutSeconds} s\n{Stdout}\n{Stderr}");
            await _changed.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1)); // woken by a line or the exit
        }
    }

    /// <summary>Wakes <see cref="WaitForAsync"/> (a line came, or the process exited); one pending wake is enough.</summary>
    private void Changed()
    {
        lock (_changed)
        {
            if (_changed.CurrentCount == 0) _changed.Release();
        }
    }
}

using System.Diagnostics;
using System.Text;

namespace Streams.Integration.Tests;

/// <summary>Runs the real <c>streams</c> command (the built streams.dll) as a child process.</summary>
internal sealed class StreamsProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly Lock _gate = new();

    private StreamsProcess(Process process)
    {
        _process = process;
    }

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Streams.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Streams.sln not found above the test folder");
        }
    }

    public int Id => _process.Id;

    public string Stdout
    {
        get
        {
            lock (_gate) return _out.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate) return _err.ToString();
        }
    }

    public static StreamsProcess Start(params string[] args) => StartIn(Path.GetTempPath(), args);

    public static StreamsProcess StartIn(string workingDirectory, params string[] args) => StartWith(workingDirectory, null, args);

    public static StreamsProcess StartWith(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "streams.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        var sp = new StreamsProcess(p);
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (sp._gate) sp._out.AppendLine(e.Data);
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (sp._gate) sp._err.AppendLine(e.Data);
        };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return sp;
    }

    /// <summary>Runs to the end (at most <paramref name="timeoutSeconds"/>) and returns the exit code.</summary>
    public static Task<(int Code, string Stdout, string Stderr)> RunAsync(int timeoutSeconds, params string[] args) => RunInAsync(timeoutSeconds, Path.GetTempPath(), args);

    public static async Task<(int Code, string Stdout, string Stderr)> RunInAsync(int timeoutSeconds, string workingDirectory, params string[] args)
    {
        using var p = StartIn(workingDirectory, args);
        var code = await p.WaitAsync(timeoutSeconds);
        return (code, p.Stdout, p.Stderr);
    }

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
            throw new TimeoutException($"streams did not exit in {timeoutSeconds} s\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    public async Task WaitForOutputAsync(string text, int timeoutSeconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!Stdout.Contains(text, StringComparison.Ordinal) && !Stderr.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited) throw new InvalidOperationException($"streams exited ({_process.ExitCode}) before printing '{text}'\n{Stdout}\n{Stderr}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"'{text}' not printed in {timeoutSeconds} s\n{Stdout}\n{Stderr}");
            await Task.Delay(50);
        }
    }

    /// <summary>Sends a POSIX signal (TERM, INT) with the real kill(1).</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}

/// <summary>Temporary folder per test class.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("streams-it-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        var p = File(name);
        System.IO.File.WriteAllText(p, text);
        return p;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal static class Ports
{
    public static int Free()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}

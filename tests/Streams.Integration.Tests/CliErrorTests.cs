namespace Streams.Integration.Tests;

/// <summary>
/// Every mistake on the command line is one clear line on stderr (plus one usage line for a usage error), exit status 2
/// for usage errors and 1 for other failures; never a stack trace or a .NET type name.
/// </summary>
public sealed class CliErrorTests(TempDir dir) : IClassFixture<TempDir>
{
    /// <summary>Runs streams, checks the exit status and that stderr is one error line (+ a usage line for status 2); returns the error line.</summary>
    private static async Task<string> ErrorOf(int expectedCode, params string[] args)
    {
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(60, args);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.Contains(" info ", StringComparison.Ordinal)).ToList();
        var context = $"streams {string.Join(' ', args)} exited {code}\nstderr:\n{stderr}\nstdout:\n{stdout}";
        Assert.True(code == expectedCode, context);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Description:", stdout, StringComparison.Ordinal); // no whole help after an error
        Assert.True(lines.Count is 1 or 2, context);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        if (lines.Count == 2) Assert.StartsWith("usage: streams ", lines[1], StringComparison.Ordinal);
        return lines[0];
    }

    [Theory]
    [InlineData("error: --duration: 'abc' is not a number", "run", "--duration", "abc")]
    [InlineData("error: --duration: 'abc' is not a number", "receive", "--duration", "abc")]
    [InlineData("error: --duration must be positive, not -1", "receive", "--duration", "-1")]
    [InlineData("error: --events: '1.5' is not a whole number", "run", "--events", "1.5")]
    [InlineData("error: --gbps must be 0 or more, not -1", "send", "--dest", "127.0.0.1:5000", "--gbps", "-1")]
    [InlineData("error: --rate must be 0 or more, not -5", "send", "--dest", "127.0.0.1:5000", "--rate", "-5")]
    [InlineData("error: --count must be 0 or more, not -3", "send", "--dest", "127.0.0.1:5000", "--count", "-3")]
    [InlineData("error: --mtu must be 576..9000, not 100", "send", "--dest", "127.0.0.1:5000", "--mtu", "100")]
    [InlineData("error: --sockets must be 1..64, not 0", "send", "--dest", "127.0.0.1:5000", "--sockets", "0")]
    [InlineData("error: --dest: 255.255.255.255:5000 is a broadcast address", "send", "--dest", "255.255.255.255:5000", "--count", "1")]
    [InlineData("error: give --dest HOST:PORT or --lb URI", "send")]
    [InlineData("error: --port must be 0..65535, not 99999", "receive", "--port", "99999", "-n", "1")]
    [InlineData("error: give --events N or --duration SECONDS", "receive")]
    [InlineData("error: --join: 'tcp://127.0.0.1:99999' must look like tcp://HOST:PORT", "worker", "--join", "tcp://127.0.0.1:99999")]
    [InlineData("error: --threads must be at least 1", "worker", "--join", "tcp://127.0.0.1:5555", "--threads", "0")]
    [InlineData("error: --max-threads must be 1..4096, not 0", "bench", "--max-threads", "0")]
    [InlineData("error: --max-threads: '99999999999' is out of range", "bench", "--max-threads", "99999999999")]
    [InlineData("error: --fail-probability must be 0..1, not 2", "control", "simulate", "--fail-probability", "2")]
    [InlineData("error: --set must be LAW.KEY=VALUE, not hpa.x", "control", "simulate", "--set", "hpa.x")]
    [InlineData("error: --law: unknown law 'hpaa'; did you mean hpa?", "control", "simulate", "--law", "hpaa")]
    [InlineData("error: --workers must be 1..100000, not 0", "twin", "synth", "--workers", "0")]
    [InlineData("error: --progress: 'lvie' is not one of auto, live, log, none; did you mean live?", "run", "--progress", "lvie")]
    [InlineData("error: no operator 'cpu-brun'; did you mean cpu-burn?", "operators", "cpu-brun")]
    [InlineData("error: unknown command 'runn'; did you mean run?", "runn")]
    [InlineData("error: unknown command 'foo'", "twin", "foo")]
    [InlineData("error: missing FILE", "inspect")]
    [InlineData("error: unexpected argument 'b.yaml'", "run", "a.yaml", "b.yaml")]
    [InlineData("error: --duration must be positive", "run", "--duration", "-1")]
    public async Task A_usage_error_is_one_line_and_one_usage_line_with_status_2(string expected, params string[] args)
    {
        Assert.StartsWith(expected, await ErrorOf(2, args), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_flag_prints_the_error_and_one_usage_line_not_the_help()
    {
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "run", "--dration", "5");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(
            ["error: unknown option '--dration'; did you mean --duration?", "usage: streams run [PIPELINE.yaml] [options]  (streams run --help for more)"],
            stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: unknown option '--bogus'", await ErrorOf(2, "run", "--bogus"), StringComparison.Ordinal); // not taken for a file name
    }

    [Fact]
    public async Task Worker_with_an_unresolvable_coordinator_host_says_so()
    {
        Assert.StartsWith("error: --join: cannot resolve 'nosuchhost.invalid'", await ErrorOf(1, "worker", "--join", "tcp://nosuchhost.invalid:5555", "--give-up-after", "1"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_refuses_an_empty_file_instead_of_sending_empty_events_forever()
    {
        var empty = dir.Write("empty.bin", "");
        Assert.Equal($"error: --from-file: {empty} is empty; there are no events to send", await ErrorOf(1, "send", "--dest", "127.0.0.1:9", "--from-file", empty));
        Assert.Equal($"error: --from-file: {dir.Path}: is a directory", await ErrorOf(1, "send", "--dest", "127.0.0.1:9", "--from-file", dir.Path));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("sub/name")]
    [InlineData("..")]
    public async Task Keys_refuses_a_name_that_leaves_the_folder(string name)
    {
        var keys = Directory.CreateDirectory(dir.File("keys-" + Guid.NewGuid().ToString("N"))).FullName;
        Assert.StartsWith($"error: NAME '{name}' must be a plain name", await ErrorOf(2, "keys", name, "--dir", Path.Combine(keys, "inner")), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(keys, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Keys_into_a_folder_that_cannot_be_written_is_one_line()
    {
        // A regular file where the folder should be fails for every user, root included (chmod does not stop root).
        var file = dir.Write("not-a-folder", "x");
        Assert.Equal($"error: cannot write the key pair to {file}: it is a file, not a folder", await ErrorOf(1, "keys", "k", "--dir", file));
        Assert.StartsWith("error: cannot write the key pair to", await ErrorOf(1, "keys", "k", "--dir", Path.Combine(file, "sub")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pipeline_path_that_is_not_a_readable_file_is_one_line_with_status_2()
    {
        Assert.Equal($"error: {dir.Path}: is a directory, not a pipeline file", await ErrorOf(2, "validate", dir.Path));
        Assert.Equal($"error: {dir.Path}: is a directory, not a pipeline file", await ErrorOf(2, "run", dir.Path));
        var missing = dir.File("missing.yaml");
        Assert.Equal($"error: {missing}: no such file", await ErrorOf(2, "run", missing));
    }

    [Fact]
    public async Task Inspect_of_a_directory_says_so()
    {
        Assert.Equal($"error: {dir.Path}: is a directory", await ErrorOf(1, "inspect", dir.Path));
    }
}

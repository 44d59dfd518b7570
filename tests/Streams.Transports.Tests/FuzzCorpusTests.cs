using System.Diagnostics;
using Streams.Fuzz.Targets;

namespace Streams.Transports.Tests;

/// <summary>
/// The fuzzers' regression test (seconds): every corpus file and every saved crash or hang input of every target
/// (tests/fuzz/corpus/TARGET, tests/fuzz/crashes/TARGET) goes through the same harness code afl-fuzz runs
/// (Streams.Fuzz.Targets), in-process. Each must pass the harness's invariants (no exception, no over-allocation)
/// within a time bound (no hang).
/// </summary>
public class FuzzCorpusTests
{
    private static readonly TimeSpan PerInput = TimeSpan.FromSeconds(5); // generous: a loaded CI machine; a real input takes milliseconds

    private static string FuzzDir
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Streams.sln"))) dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Streams.sln not found above the test folder"), "tests", "fuzz");
        }
    }

    public static TheoryData<string> Targets => new(FuzzTargets.All.Keys);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_corpus_file_and_saved_crash_input_passes_the_harness(string target)
    {
        var corpus = Path.Combine(FuzzDir, "corpus", target);
        Assert.True(Directory.Exists(corpus), $"no corpus for fuzz target '{target}' at {corpus}");
        var files = Directory.GetFiles(corpus).ToList();
        Assert.True(files.Count >= 3, $"the corpus of '{target}' has {files.Count} file(s); seeds are expected");
        var crashes = Path.Combine(FuzzDir, "crashes", target);
        if (Directory.Exists(crashes)) files.AddRange(Directory.GetFiles(crashes));
        files.Sort(StringComparer.Ordinal);

        var run = FuzzTargets.All[target];
        var problems = new List<string>();
        foreach (var file in files)
        {
            var data = File.ReadAllBytes(file);
            var sw = Stopwatch.StartNew();
            try
            {
                run(data);
            }
            catch (Exception e)
            {
                problems.Add($"{Path.GetRelativePath(FuzzDir, file)}: {e.GetType().Name}: {e.Message}");
                continue;
            }

            if (sw.Elapsed > PerInput) problems.Add($"{Path.GetRelativePath(FuzzDir, file)}: took {sw.Elapsed.TotalSeconds:F1} s (a hang?)");
        }

        Assert.True(problems.Count == 0, $"{problems.Count} of {files.Count} '{target}' inputs broke the harness:\n{string.Join("\n", problems)}");
    }

    [Fact]
    public void The_harness_input_splitter_round_trips_and_cuts_any_input()
    {
        byte[][] chunks = [[1, 2, 3], [], [9]];
        var back = FuzzSupport.Split(FuzzSupport.Join(chunks));
        Assert.Equal(chunks.Length, back.Count);
        for (var i = 0; i < chunks.Length; i++) Assert.Equal(chunks[i], back[i]);
        Assert.Equal([[0xFF]], FuzzSupport.Split([0xFF]));
        Assert.Equal([[7]], FuzzSupport.Split([0xFF, 0xFF, 7])); // a length beyond the end takes what is left
    }
}

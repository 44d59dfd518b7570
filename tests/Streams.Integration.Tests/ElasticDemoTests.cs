namespace Streams.Integration.Tests;

/// <summary>Tests that measure the machine's capacity as much as the code: they run alone, after the others.</summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;

/// <summary>The README's elastic demo (deploy/lb/elastic-demo.sh): node pipelines sized to a DAQ at stepped rates.</summary>
[Collection(nameof(RunsAlone))]
public sealed class ElasticDemoTests(TempDir dir) : IClassFixture<TempDir>
{
    [Fact]
    public async Task The_readme_elastic_demo_sizes_clas12_node_pipelines_to_a_stepped_daq_and_its_books_balance()
    {
        var env = new Dictionary<string, string>
        {
            ["STREAMS"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "streams.dll")}",
            ["OUT"] = dir.File("elastic-demo"),
            // 45 s: 200 events/s, 1500/s from 15 s (near one node's prior of 2 cores x 800/s: more nodes), 200/s from 35 s: what this
            // two-core machine reconstructs on four node pipelines, a DAQ and a load balancer, with room to spare.
            ["STEPS"] = "'0:200', '15:1500', '35:200'",
        };
        var (code, stdout, stderr) = await ChildProcess.RunAsync("bash", [Path.Combine(StreamsProcess.RepoRoot, "deploy", "lb", "elastic-demo.sh"), "45"], 400, StreamsProcess.RepoRoot, env);
        Assert.True(code == 0, $"{stdout}\n{stderr}");
        Assert.Contains("books balance: zero lost", stdout, StringComparison.Ordinal);
        Assert.Contains("requested node", stdout, StringComparison.Ordinal); // more nodes for the higher rate
        Assert.Matches(@"control process elastic-lb: [2-9] node\(s\) requested", stdout);
        Assert.Contains("with drain (queue-model", stdout, StringComparison.Ordinal); // and fewer once it falls
    }
}

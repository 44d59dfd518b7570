using Streams.Engine.Runtime;

namespace Streams.Integration.Tests;

/// <summary>
/// Elastic nodes behind the load balancer with local node pipelines (<see cref="ElasticNodesScenario"/>; the SLURM
/// variant is in <see cref="SlurmClusterTests"/>, which has the one-node cluster to itself), and what a control
/// process says about a file it cannot run.
/// </summary>
public sealed partial class LoadBalancerCliTests
{
    [Fact]
    public Task The_control_process_starts_local_node_pipelines_for_a_rising_load_and_drains_them_when_it_falls_and_none_is_lost() =>
        ElasticNodesScenario.RunAsync(dir, "local");

    [Fact]
    public async Task A_control_process_without_a_load_balancer_or_with_a_broken_node_pipeline_says_so_in_one_line()
    {
        var work = dir.File("elastic-bad");
        Directory.CreateDirectory(work);
        await File.WriteAllTextAsync(Path.Combine(work, "node.yaml"), ElasticNodesScenario.WaitNode.Replace("cpu-burn", "cpu-brun", StringComparison.Ordinal));
        var control = Path.Combine(work, "elastic.yaml");
        await File.WriteAllTextAsync(control, "control:\n  node-pipeline: node.yaml\n  node-provider: local\n  service-rate: 1000\n");
        var (code, _, stderr) = await StreamsProcess.RunInAsync(60, work, "run", control);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("give --lb URI", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await StreamsProcess.RunInAsync(60, work, "run", control, "--lb", "ejfat://t@127.0.0.1:1/lb/1?data=127.0.0.1:2");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("node.yaml:", stderr, StringComparison.Ordinal);
        Assert.Contains("cpu-brun", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_control_process_reads_a_node_s_two_numbers_from_its_prometheus_text_and_nothing_that_only_shares_a_prefix()
    {
        const string text = "# HELP streams_events_in_flight Events received and not yet processed.\n# TYPE streams_events_in_flight gauge\n"
            + "streams_events_in_flight{pipeline=\"a\"} 12\nstreams_events_in_flight{pipeline=\"b\"} 3 1700000000000\n"
            + "streams_events_in_flight_extra 99\nstreams_events_processed_total 1.5e3\n";
        Assert.Equal(15, Cli.Elastic.LbPoolReader.Sum(text, "streams_events_in_flight"));
        Assert.Equal(1500, Cli.Elastic.LbPoolReader.Sum(text, "streams_events_processed_total"));
        Assert.Null(Cli.Elastic.LbPoolReader.Sum(text, "streams_events_failed_total"));
    }
}

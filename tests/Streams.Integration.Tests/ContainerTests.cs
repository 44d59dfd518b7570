using System.Text.Json;

namespace Streams.Integration.Tests;

/// <summary>
/// deploy/container/build.sh builds the worker/coordinator image with real podman (no registry: a base made from Debian
/// packages) and runs `streams --version` and the default pipeline in it; then a worker in that container joins a
/// coordinator running on this host and takes its work.
/// </summary>
public sealed class ContainerTests(TempDir dir) : IClassFixture<TempDir>
{
    private const string Tag = "localhost/streams:it";

    [Fact]
    public async Task The_image_builds_runs_the_default_pipeline_and_a_worker_in_it_joins_a_coordinator_here()
    {
        var (code, output) = ExternalCommand.Run("bash", null, 900, "deploy/container/build.sh", Tag);
        Assert.True(code == 0, $"deploy/container/build.sh failed (it installs podman and runc as root):\n{output}");
        Assert.Matches(@"\d+\.\d+\.\d+\+", output);                     // streams --version, inside the container
        // --events 2000 lets each source emit 2000: the DAQ's and the receiver's, so 4000 in the books and 2000 reconstructed.
        Assert.Contains("received 4000, processed 4000, failed 0", output, StringComparison.Ordinal);
        Assert.Contains("physics: 2,000 events reconstructed", output, StringComparison.Ordinal);
        Assert.Contains($"image {Tag}: ok", output, StringComparison.Ordinal);

        var port = Ports.Free();
        var yaml = dir.Write("container-worker.yaml", """
            name: container-worker
            sources: [{name: src, operator: synthetic, config: {count: 5000, batch-size: 100}}]
            stages: [{name: work, operator: cpu-burn, input: src, placement: workers, config: {work-us: 100}}]
            sinks: [{name: out, operator: count, input: work}]
            """);
        var summary = dir.File("container-worker.json");
        using var coordinator = StreamsProcess.Start("run", yaml, "--listen", $"tcp://127.0.0.1:{port}", "--metrics-listen", "off",
            "--progress", "none", "--summary-json", summary, "--worker-wait", "120");
        await coordinator.WaitForOutputAsync("listening for workers", 30);
        var conf = dir.Write("containers.conf", "[containers]\ndefault_ulimits = []\n");
        var worker = Task.Run(() => ExternalCommand.Run("podman", new Dictionary<string, string> { ["CONTAINERS_CONF"] = conf }, 300,
            "--storage-driver=vfs", "--runtime", "runc", "--cgroup-manager=cgroupfs", "run", "--rm", "--network=host", Tag,
            "worker", "--join", $"tcp://127.0.0.1:{port}", "--name", "in-container"));
        Assert.True(await coordinator.WaitAsync(180) == 0, coordinator.Stderr);
        var (workerCode, workerLog) = await worker.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(workerCode == 0, workerLog);

        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(summary));
        var events = doc.RootElement.GetProperty("events");
        Assert.Equal((5000, 5000), (events.GetProperty("received").GetInt64(), events.GetProperty("processed").GetInt64()));
        var w = doc.RootElement.GetProperty("workers").GetProperty("workers").EnumerateArray().Single();
        Assert.Equal("in-container", w.GetProperty("name").GetString());
        Assert.Equal(50, w.GetProperty("batchesAcked").GetInt64());
    }
}

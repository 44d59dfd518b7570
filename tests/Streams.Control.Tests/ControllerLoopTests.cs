using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Streams.Control.Live;
using Streams.Control.Nodes;
using Streams.Engine.Batches;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.Jrm;
using Streams.TestKit;

namespace Streams.Control.Tests;

/// <summary>
/// The controller's own loop: node provider calls never run on the pipeline's sampler, so a provider that hangs delays
/// no snapshot and no metrics scrape; while a call is outstanding the controller holds and says what it waits for.
/// </summary>
public sealed class ControllerLoopTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streams-loop-").FullName;
    private readonly StringWriter _logText = new();
    private readonly TextWriter _logWriter;

    public ControllerLoopTests() => _logWriter = TextWriter.Synchronized(_logText);

    private RunLog Log => new(_logWriter);

    private string LogText
    {
        get
        {
            lock (_logWriter) return _logText.ToString();
        }
    }

    private static PipelinePlan Plan(string control, double rate = 200) =>
        PlanOf($$$"""
            name: loop
            control: {{{{control}}}}
            sources: [{name: src, operator: synthetic, config: {rate: {{{rate.ToString(CultureInfo.InvariantCulture)}}}, batch-size: 10}}]
            stages: [{name: work, operator: noop, input: src, placement: workers}]
            sinks: [{name: out, operator: count, input: work}]
            """);

    private static PipelinePlan PlanOf(string yaml)
    {
        var loaded = PipelineLoader.Load(yaml, "loop.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Diagnostics));
        var planned = PipelinePlanner.Plan(loaded.Spec!, BuiltinOperators.Register(new OperatorCatalog()));
        Assert.True(planned.Ok, string.Join("\n", planned.Diagnostics));
        return planned.Plan!;
    }

    [Fact]
    public async Task While_a_provider_call_hangs_the_controller_holds_asks_nothing_more_and_says_what_it_waits_for()
    {
        var plan = Plan("node-provider: local, service-rate: 100, interval: 1, max-nodes: 2");
        var remote = new PassThroughWorkers();
        using var pipeline = Pipeline.Create(plan, new PipelineOptions { RemoteStages = remote });
        var nodes = new HangingNodes();
        var time = new FakeTimeProvider();
        using var controller = new ControllerHost(pipeline, ControllerSettings.From(plan)!, Log, remote, nodes, time);

        await Eventually.Until(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return controller.WaitingFor is not null;
        }, "the controller asks the provider for its nodes");
        var since = controller.WaitingFor!.Value.Since;
        for (var i = 0; i < 15; i++)
        {
            var ticks = controller.Ticks;
            time.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => controller.Ticks > ticks, "a tick");
        }

        Assert.Equal((NodeCall.List, since), controller.WaitingFor);
        Assert.Equal(1, nodes.Lists); // held: nothing more was asked while the call was outstanding
        Assert.Equal(0, nodes.Requests);
        Assert.Contains("[controller] waiting for node provider hanging (list, ", LogText, StringComparison.Ordinal);
        var wait = Gauge(await pipeline.Registry.ExportTextAsync(), "streams_controller_provider_wait_seconds{pipeline=\"loop\",provider=\"hanging\"}");
        Assert.InRange(wait, 14, 16);

        nodes.Answer.SetResult();
        await Eventually.Until(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return nodes.Lists >= 2;
        }, "the next tick lists again once the call answered");
        Assert.Equal(0, Gauge(await pipeline.Registry.ExportTextAsync(), "streams_controller_provider_wait_seconds{pipeline=\"loop\",provider=\"hanging\"}"));
    }

    [Fact]
    public async Task A_squeue_that_hangs_delays_no_snapshot_and_no_metrics_scrape()
    {
        // A real squeue stand-in that hangs for 30 s, run as a child process by the SLURM provider; a job from an earlier
        // run (the state file) gives it something to list.
        var squeue = Path.Combine(_dir, "squeue");
        await File.WriteAllTextAsync(squeue, "#!/bin/sh\nsleep 30\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(squeue, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await File.WriteAllTextAsync(Path.Combine(_dir, "slurm-jobs.json"), $"{{\"1\":{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}}}");
        var slurm = new SlurmProvider(new SlurmOptions { Join = "tcp://127.0.0.1:1", StreamsCommand = "streams", StateDirectory = _dir }, new ScriptsIn(_dir), hasWorker: _ => false);
        using var nodes = new GuardedProvider(slurm, new NodeGuards());

        var plan = Plan("node-provider: slurm, service-rate: 100, interval: 0.2, max-nodes: 1");
        var remote = new PassThroughWorkers();
        using var pipeline = Pipeline.Create(plan, new PipelineOptions { RemoteStages = remote, SampleInterval = TimeSpan.FromMilliseconds(100) });
        var stamps = new List<long>();
        pipeline.Sampled += _ =>
        {
            lock (stamps) stamps.Add(Stopwatch.GetTimestamp());
        };
        var controller = new ControllerHost(pipeline, ControllerSettings.From(plan)!, Log, remote, nodes);
        var run = pipeline.RunAsync();
        int Snapshots()
        {
            lock (stamps) return stamps.Count;
        }

        await Eventually.Until(() => LogText.Contains("waiting for node provider slurm (squeue, ", StringComparison.Ordinal), "the controller says it waits for squeue");
        var first = Snapshots();
        await Eventually.Until(() => Snapshots() >= first + 10, "ten more snapshots while squeue hangs");
        var exported = await pipeline.Registry.ExportTextAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(NodeCall.List, controller.WaitingFor?.Call); // all of the above happened while squeue hung

        double[] gaps;
        lock (stamps) gaps = [.. stamps.Skip(first - 1).Zip(stamps.Skip(first), (a, b) => (b - a) / (double)Stopwatch.Frequency)];
        Assert.True(gaps.Max() < 5, $"a snapshot came {gaps.Max():0.0} s after the one before, while squeue hung (sampled every 0.1 s)");
        Assert.True(Gauge(exported, "streams_controller_provider_wait_seconds{pipeline=\"loop\",provider=\"slurm\"}") > 0, exported);

        controller.Dispose(); // cancels the call: squeue is killed
        Assert.Null(controller.WaitingFor);
        pipeline.StopIntake("test over");
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(summary.Events.Balanced);
    }

    private static double Gauge(string exposition, string series)
    {
        var line = exposition.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException($"no {series} in:\n{exposition}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        _logWriter.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A node provider whose list does not answer until <see cref="Answer"/> is set.</summary>
    private sealed class HangingNodes : INodeProvider
    {
        private int _lists, _requests;

        public TaskCompletionSource Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Lists => Volatile.Read(ref _lists);

        public int Requests => Volatile.Read(ref _requests);

        public string Name => "hanging";

        public int CoresPerNode => 1;

        public Task<string> RequestAsync(CancellationToken cancel = default)
        {
            Interlocked.Increment(ref _requests);
            return Task.FromResult($"n{Requests}");
        }

        public Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default) => Task.CompletedTask;

        public async Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancel = default)
        {
            Interlocked.Increment(ref _lists);
            await Answer.Task.WaitAsync(cancel);
            return [];
        }
    }

    /// <summary>Runs sbatch, squeue and scancel from a folder of stand-in scripts, as child processes.</summary>
    private sealed class ScriptsIn(string folder) : ICommandRunner
    {
        private readonly ProcessRunner _run = new();

        public Task<(int Code, string Stdout, string Stderr)> RunAsync(string command, IReadOnlyList<string> args, CancellationToken cancel = default) =>
            _run.RunAsync(Path.Combine(folder, command), args, cancel);
    }
}

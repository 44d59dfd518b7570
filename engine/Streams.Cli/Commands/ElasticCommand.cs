using System.Globalization;
using Streams.Cli.Elastic;
using Streams.Control.Live;
using Streams.Control.Nodes;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.Transports.Ejfat.ControlPlane;
using Streams.Transports.ZeroMq.Coordination;

namespace Streams.Cli.Commands;

/// <summary>
/// <c>streams run elastic-lb.yaml</c>: a control process that owns no data. Node pipelines receive their share of the
/// stream straight from the load balancer; this reads the pool (the load balancer's Status and the nodes' metrics),
/// and the controller asks the node provider for node pipelines and releases them with drain. It runs until
/// <c>--duration</c> or a signal, then drains every node, gathers their summaries and writes the books.
/// </summary>
internal static class ElasticCommand
{
    /// <summary>How long the nodes have to drain and exit when the control process stops.</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(PipelineSpec spec, RunCommand.RunRequest req)
    {
        var stderr = Console.Error;
        if (req.Events is not null) return Usage(stderr, "--events: a control process owns no events; use --duration");
        if (req.NodeName is not null) return Usage(stderr, "--node-name names a node pipeline; this file is a control process");
        if (req.Distributed?.Listen is not null) return Usage(stderr, "--listen: a control process has no coordinator (its nodes receive from the load balancer)");
        ControllerSettings settings;
        try
        {
            settings = ControllerSettings.ForNodePipelines(spec, req.Control);
        }
        catch (ConfigException e)
        {
            stderr.WriteLine(e.Location is { } at ? $"{at}: error: {e.Message}" : $"error: {e.Message}");
            return ExitCodes.Usage;
        }

        var uriText = req.LoadBalancer ?? settings.LoadBalancer;
        if (uriText is null) return Usage(stderr, $"{spec.File}: the nodes need a load balancer: give --lb URI (or control.load-balancer)");
        if (!EjfatUri.TryParse(uriText, out var uri, out var uriError) || uri!.LbId is null) return Usage(stderr, $"--lb: {uriError ?? "the URI names no load balancer (…/lb/ID)"}");

        // The node pipeline is planned here first, with the URI, so that a mistake in it is one line now, not a node that fails later.
        if (PipelineFiles.LoadAndPlan(settings.NodePipeline, OperatorSet.Create(), stderr, out var invalid, uriText, "check") is null) return invalid;

        var log = new RunLog(stderr, req.Quiet ? RunLogLevel.Warning : RunLogLevel.Info);
        var nodesDirectory = Path.GetFullPath(Path.Combine("out", "nodes"));
        Directory.CreateDirectory(nodesDirectory);
        var registry = Engine.Metrics.MetricsRegistry.Process;
        var fixedMetrics = req.MetricsListen ?? spec.MetricsListen;
        using var endpoint = MetricsEndpoint.Start(fixedMetrics ?? MetricsEndpoint.Default, registry, log, anyPortIfBusy: fixedMetrics is null);
        if (req.MetricsFile is { } announce) RunCommand.AnnounceMetrics(announce, endpoint, log);
        var targets = req.Distributed?.PrometheusSd is { } sd ? new ScrapeTargets(sd, spec.Name) : null;
        targets?.SetCoordinator(endpoint.Address);
        using var client = new LbClient(uri);
        using var reader = new LbPoolReader(client, nodesDirectory, targets);
        INodeProvider nodes;
        try
        {
            nodes = NodeProviders.CreateForNodePipelines(settings.Nodes!, spec.Name, settings.NodePipeline!, uriText, nodesDirectory, reader.Serves);
        }
        catch (ArgumentException e)
        {
            return Usage(stderr, e.Message);
        }

        using var nodesLifetime = nodes as IDisposable;
        // A node's name (its member name and folder) from its provider id: a SLURM job's node is slurm-JOBID.
        Func<string, string> nameOf = settings.Nodes!.Provider == "slurm" ? Jrm.SlurmProvider.WorkerName : id => id;
        using var stop = new CancellationTokenSource();
        if (req.Duration is { } d) stop.CancelAfter(TimeSpan.FromSeconds(d));
        using var signals = ShutdownSignals.Cancelling(stop);
        log.Info("", $"control process '{spec.Name}': node pipelines {settings.NodePipeline} behind {(uri with { Token = null })}, nodes in {nodesDirectory}");
        var started = DateTimeOffset.UtcNow;
        using var host = new ElasticNodesHost(settings, nodes, reader.ReadAsync, registry, log);
        var progress = req.Progress == "none" ? (TimeSpan?)null : TimeSpan.FromSeconds(req.ProgressInterval);
        await WatchAsync(host, reader, nameOf, progress, log, stop.Token).ConfigureAwait(false);

        log.Info("", "stopping: every node drains (it deregisters, takes what is still on its way, finishes) and exits");
        var alive = await host.DrainAllAsync(DrainLimit).ConfigureAwait(false);
        reader.UpdateTargets([]);
        var books = NodeBooks.Gather(nodesDirectory, host.Control.Nodes, nameOf, started);
        var verdict = alive > 0 ? $"{alive} node(s) still running after {DrainLimit.TotalSeconds:0} s of drain" : books.Problem;
        var summary = new ElasticSummary(spec.Name, settings.NodePipeline!, (uri with { Token = null }).ToString(), host.Summary(), books, verdict is null, verdict);
        Console.WriteLine(summary.Text());
        if (req.SummaryJson is { } path)
        {
            if (WholeFile.TryWrite(path, summary.ToJson()) is { } error)
            {
                stderr.WriteLine($"error: could not write the summary to {error}");
                return ExitCodes.OutputFailed;
            }

            log.Info("", $"summary written to {path}");
        }

        if (verdict is null) return ExitCodes.Ok;
        stderr.WriteLine($"error: {verdict}");
        return ExitCodes.Failed;
    }

    /// <summary>Until <paramref name="stop"/>: keeps the scrape targets in step with the pool, and logs a progress line every interval.</summary>
    private static async Task WatchAsync(ElasticNodesHost host, LbPoolReader reader, Func<string, string> nameOf, TimeSpan? progress, RunLog log, CancellationToken stop)
    {
        var lastLine = DateTimeOffset.UtcNow;
        PoolReading? last = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
                var pool = host.Control.Nodes.Pool;
                reader.UpdateTargets(pool.Where(n => n.State is NodeState.Booting or NodeState.Ready or NodeState.Draining).Select(n => nameOf(n.Id)));
                if (progress is not { } every || DateTimeOffset.UtcNow - lastLine < every || host.Latest is not { } r) continue;
                lastLine = DateTimeOffset.UtcNow;
                // Per member, as the meter does: a node that joins or leaves does not jump the sum.
                var rate = last is { } l && r.Time > l.Time ? r.Members.Sum(m => Math.Max(0, m.Done - (l.Member(m.Name)?.Done ?? 0))) / (r.Time - l.Time) : 0;
                last = r;
                var states = string.Join(", ", Enum.GetValues<NodeState>().Select(s => (s, n: pool.Count(p => p.State == s))).Where(x => x.n > 0).Select(x => $"{x.n} {x.s.ToString().ToLowerInvariant()}"));
                var members = string.Join(" ", r.Members.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Name}[{m.Slots} slots, fill {m.Fill:0.00}, {m.Waiting} waiting]")));
                log.Info("", string.Create(CultureInfo.InvariantCulture, $"nodes: {(states.Length > 0 ? states : "none")}; {rate:#,0} events/s done; members: {(members.Length > 0 ? members : "none")}"));
            }
        }
        catch (OperationCanceledException)
        {
            // --duration or a signal
        }
    }

    private static int Usage(TextWriter w, string message)
    {
        w.WriteLine($"error: {message}");
        return CliErrors.UsageExit;
    }
}

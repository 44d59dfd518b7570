using System.Text.Json;
using System.Text.Json.Serialization;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;

namespace Streams.Cli.Live;

/// <summary>One node of the graph: a source, stage or sink with its latest numbers.</summary>
internal sealed record LiveStage(
    string Name, string Kind, string Operator, string Placement, int Depth,
    long EventsIn, long EventsOut, long Failed, long Discarded,
    int QueueDepth, int QueueCapacity, int Threads, int MaxThreads, double EventsPerSecond, double BusyFraction);

/// <summary>One arrow of the data flow: batches go from <paramref name="From"/> into <paramref name="To"/>'s queue.</summary>
internal sealed record LiveEdge(string From, string To);

/// <summary>The controller's latest numbers for one stage (from <c>streams_controller_*</c>); null where not exported yet.</summary>
internal sealed record LiveControl(string Stage, string Law, double? Demand, double? Supply, double? Queue, double? ArrivalRate, double? ServiceRate, long Up, long Down, long Hold);

/// <summary>The digital twin's estimate for one stage (from <c>streams_twin_*</c>).</summary>
internal sealed record LiveTwin(string Stage, double? Load, double? LoadSd, double? LoadPredicted, double? QueuePredicted, double? RecommendedServers);

/// <summary>Nodes of one node provider in one state (from <c>streams_nodes</c>).</summary>
internal sealed record LiveNodes(string Provider, string State, int Count);

/// <summary>One site of a pool over several facilities (from <c>streams_site_*</c>): nodes pending and running, learned p50/p90 time to join, health (up, slow, down).</summary>
internal sealed record LiveSite(string Site, int Pending, int Running, double? JoinP50Seconds, double? JoinP90Seconds, string Health);

/// <summary>What <c>/api/snapshot</c> returns: the run's books, the graph, the controller, the twin, nodes and workers.</summary>
internal sealed record LiveDocument(
    string Pipeline, bool Sampled, double ElapsedSeconds, string? StopReason,
    long Received, long Processed, long Failed, long Discarded, long InFlight, double ProcessedPerSecond,
    IReadOnlyList<LiveStage> Stages, IReadOnlyList<LiveEdge> Edges, IReadOnlyList<LiveDecision> Decisions,
    IReadOnlyList<LiveControl> Controller, IReadOnlyList<LiveTwin> Twin, IReadOnlyList<LiveNodes> Nodes, LiveWorkers? Workers)
{
    /// <summary>The sites of the node pool, when the controller places nodes over several (<c>control.sites</c>).</summary>
    public IReadOnlyList<LiveSite> Sites { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The document as UTF-8 JSON (camelCase names).</summary>
    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>
    /// Builds the document from <paramref name="source"/> and the registry's exposition <paramref name="metricsText"/>
    /// (the controller's, the twin's and the node pool's gauges of this pipeline).
    /// </summary>
    public static LiveDocument Build(ILiveSource source, string metricsText)
    {
        ArgumentNullException.ThrowIfNull(source);
        var plan = source.Plan;
        var snap = source.Latest;
        var depth = Depths(plan);
        var byName = snap?.Stages.ToDictionary(s => s.Name, StringComparer.Ordinal) ?? [];
        var stages = plan.Nodes.Select(n =>
        {
            var s = byName.GetValueOrDefault(n.Name);
            var kind = n.Kind switch { OperatorKind.Source => "source", OperatorKind.Sink => "sink", _ => "stage" };
            return new LiveStage(n.Name, kind, n.Spec.Operator, n.Spec.Placement.ToString().ToLowerInvariant(), depth[n.Name],
                s?.EventsIn ?? 0, s?.EventsOut ?? 0, s?.Failed ?? 0, s?.Discarded ?? 0, s?.QueueDepth ?? 0, s?.QueueCapacity ?? 0,
                s?.Threads ?? 0, s?.MaxThreads ?? n.MaxWorkers, Finite(s?.EventsPerSecond) ?? 0, Finite(s?.BusyFraction) ?? 0);
        }).ToList();
        var edges = plan.Nodes.SelectMany(n => n.Inputs.Select(i => new LiveEdge(i.Name, n.Name))).ToList();

        var samples = MetricsText.Parse(metricsText, "streams_controller_", "streams_twin_", "streams_nodes", "streams_site_")
            .Where(m => m.Label("pipeline") == plan.Name).ToList();
        return new LiveDocument(plan.Name, snap is not null, snap?.Elapsed.TotalSeconds ?? 0, source.StopReason,
            snap?.Received ?? 0, snap?.Processed ?? 0, snap?.Failed ?? 0, snap?.Discarded ?? 0, snap?.InFlight ?? 0, Finite(snap?.ProcessedPerSecond) ?? 0,
            stages, edges, source.Decisions, ControllerOf(samples), TwinOf(samples), NodesOf(samples), source.Workers)
        {
            Sites = SitesOf(samples),
        };
    }

    /// <summary>Column of each node in the drawing: the longest path from a source.</summary>
    private static Dictionary<string, int> Depths(PipelinePlan plan)
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in plan.Nodes) // topological order: every input comes first
        {
            depth[n.Name] = n.Inputs.Count == 0 ? 0 : n.Inputs.Max(i => depth.GetValueOrDefault(i.Name)) + 1;
        }

        return depth;
    }

    private static List<LiveControl> ControllerOf(List<MetricSample> samples)
    {
        var ctl = samples.Where(m => m.Name.StartsWith("streams_controller_", StringComparison.Ordinal) && m.Label("stage").Length > 0).ToList();
        return [.. ctl.GroupBy(m => (Stage: m.Label("stage"), Law: m.Label("law"))).OrderBy(g => g.Key.Stage, StringComparer.Ordinal).Select(g =>
        {
            double? Gauge(string name) => Finite(g.FirstOrDefault(m => m.Name == name)?.Value);
            long Count(string action) => (long)g.Where(m => m.Name == "streams_controller_decisions_total" && m.Label("action") == action).Sum(m => m.Value);
            return new LiveControl(g.Key.Stage, g.Key.Law, Gauge("streams_controller_demand"), Gauge("streams_controller_supply"),
                Gauge("streams_controller_queue_events"), Gauge("streams_controller_arrival_rate"), Gauge("streams_controller_service_rate"),
                Count("up"), Count("down"), Count("hold"));
        })];
    }

    private static List<LiveTwin> TwinOf(List<MetricSample> samples)
    {
        var twin = samples.Where(m => m.Name.StartsWith("streams_twin_", StringComparison.Ordinal)).ToList();
        return [.. twin.GroupBy(m => m.Label("stage")).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            double? Gauge(string name) => Finite(g.FirstOrDefault(m => m.Name == name)?.Value);
            return new LiveTwin(g.Key, Gauge("streams_twin_load_estimate"), Gauge("streams_twin_load_sd"), Gauge("streams_twin_load_predicted"),
                Gauge("streams_twin_queue_predicted"), Gauge("streams_twin_recommended_servers"));
        })];
    }

    private static List<LiveNodes> NodesOf(List<MetricSample> samples) =>
        [.. samples.Where(m => m.Name == "streams_nodes").Select(m => new LiveNodes(m.Label("provider"), m.Label("state"), (int)m.Value))];

    private static List<LiveSite> SitesOf(List<MetricSample> samples) =>
        [.. samples.Where(m => m.Name.StartsWith("streams_site_", StringComparison.Ordinal) && m.Label("site").Length > 0).GroupBy(m => m.Label("site")).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            double? Get(string name, string key = "", string value = "") => Finite(g.FirstOrDefault(m => m.Name == name && (key.Length == 0 || m.Label(key) == value))?.Value);
            var health = Get("streams_site_health") switch { 0 => "up", 1 => "slow", 2 => "down", _ => "" };
            return new LiveSite(g.Key, (int)(Get("streams_site_nodes", "state", "pending") ?? 0), (int)(Get("streams_site_nodes", "state", "running") ?? 0),
                Get("streams_site_join_seconds", "quantile", "0.5"), Get("streams_site_join_seconds", "quantile", "0.9"), health);
        })];

    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;
}

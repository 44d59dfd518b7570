using Streams.Engine.Operators;

namespace Streams.Engine.Spec;

/// <summary>Which section of the file a node was declared in.</summary>
public enum NodeRole
{
    Source,
    Stage,
    Sink,
}

/// <summary>Where a stage runs.</summary>
public enum Placement
{
    /// <summary>In this process, on the stage's worker pool.</summary>
    Local,

    /// <summary>On worker processes that join the run (<c>streams worker --join</c>); this process dispatches batches to them.</summary>
    Workers,
}

/// <summary>A pipeline as written in a file (native or ERSAP services.yaml shape), before operators are resolved.</summary>
public sealed class PipelineSpec
{
    /// <summary>Default queue capacity of a stage, in batches (16 x 256 events = 4096 events waiting at most).</summary>
    public const int DefaultQueueBatches = 16;

    public required string Name { get; init; }

    /// <summary>The file it came from (or a name for an embedded pipeline), used in messages.</summary>
    public required string File { get; init; }

    /// <summary><c>native</c> or <c>ersap</c>.</summary>
    public required string Format { get; init; }

    public List<NodeSpec> Nodes { get; } = [];

    /// <summary>Names of entries the loader could not read (already reported): the planner does not call them undefined.</summary>
    public HashSet<string> UnreadNodes { get; } = new(StringComparer.Ordinal);

    /// <summary><c>metrics.listen</c>: HOST:PORT for the Prometheus endpoint, <c>off</c> to disable; null for the default.</summary>
    public string? MetricsListen { get; set; }

    public SourceLocation MetricsLocation { get; set; }

    /// <summary>
    /// The <c>control:</c> section (law, interval, stages, bounds and the law's parameters), read by the controller
    /// (Streams.Control); empty when the file has none.
    /// </summary>
    public Dictionary<string, ConfigValue> Control { get; } = new(StringComparer.Ordinal);

    public SourceLocation ControlLocation { get; set; }

    /// <summary>
    /// A control process that owns no data (no sources, stages or sinks; <c>control.node-pipeline</c> names the pipeline
    /// its nodes run behind a load balancer): <c>streams run</c> sizes the nodes instead of running a pipeline.
    /// </summary>
    public bool IsControlOnly => Nodes.Count == 0 && UnreadNodes.Count == 0 && Control.ContainsKey("node-pipeline");
}

/// <summary>One source, stage or sink as written in the file.</summary>
public sealed class NodeSpec
{
    public required string Name { get; init; }

    public required SourceLocation Location { get; init; }

    public required NodeRole Role { get; init; }

    public required string Operator { get; init; }

    public required SourceLocation OperatorLocation { get; init; }

    /// <summary>Names of the nodes feeding this one (fan-in when more than one).</summary>
    public List<(string Name, SourceLocation Location)> Inputs { get; } = [];

    public int Workers { get; set; } = 1;

    public SourceLocation WorkersLocation { get; set; }

    /// <summary>Upper bound for the controller; defaults to <see cref="Workers"/> x 4 (capped by the operator).</summary>
    public int? MaxWorkers { get; set; }

    public int Queue { get; set; } = PipelineSpec.DefaultQueueBatches;

    /// <summary>Where the stage runs; for <see cref="Placement.Workers"/>, <see cref="Workers"/> is the threads per worker process.</summary>
    public Placement Placement { get; set; }

    public SourceLocation PlacementLocation { get; set; }

    /// <summary>Parameters set for this node.</summary>
    public Dictionary<string, ConfigValue> Config { get; } = new(StringComparer.Ordinal);

    /// <summary>Parameters inherited from a shared block (ERSAP <c>configuration.global</c>); used only where the operator declares them.</summary>
    public Dictionary<string, ConfigValue> InheritedConfig { get; } = new(StringComparer.Ordinal);
}

using Streams.Engine.Operators;

namespace Streams.Engine.Spec;

/// <summary>A checked pipeline: every node resolved to an operator, configured, typed and wired.</summary>
public sealed class PipelinePlan
{
    internal PipelinePlan(PipelineSpec spec, IReadOnlyList<PlannedNode> nodes)
    {
        Spec = spec;
        Nodes = nodes;
    }

    public PipelineSpec Spec { get; }

    public string Name => Spec.Name;

    /// <summary>Nodes in topological order (every node after all of its inputs).</summary>
    public IReadOnlyList<PlannedNode> Nodes { get; }
}

/// <summary>One resolved node of a <see cref="PipelinePlan"/>.</summary>
public sealed class PlannedNode
{
    internal PlannedNode(NodeSpec spec, OperatorDescriptor descriptor, OperatorConfig config)
    {
        Spec = spec;
        Descriptor = descriptor;
        Config = config;
    }

    public NodeSpec Spec { get; }

    public string Name => Spec.Name;

    public OperatorDescriptor Descriptor { get; }

    public OperatorKind Kind => Descriptor.Kind;

    public OperatorConfig Config { get; }

    /// <summary>The type of the batches this node emits (null for sinks).</summary>
    public string? OutputType { get; internal set; }

    public List<PlannedNode> Inputs { get; } = [];

    public List<PlannedNode> Outputs { get; } = [];

    /// <summary>Most workers the controller may give this stage.</summary>
    public int MaxWorkers => Math.Min(Spec.MaxWorkers ?? Math.Max(Spec.Workers * 4, Environment.ProcessorCount), Descriptor.MaxWorkers ?? int.MaxValue);
}

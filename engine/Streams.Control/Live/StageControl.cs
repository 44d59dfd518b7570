using Streams.Control.Laws;
using Streams.Control.Nodes;
using Streams.Control.Twin;

namespace Streams.Control.Live;

/// <summary>What one decision asks of a stage: its law's answer, the threads and nodes that meet it, and what to do to the node pool.</summary>
/// <param name="Decision">The law's demand and reason.</param>
/// <param name="Threads">Threads in this process.</param>
/// <param name="Nodes">Nodes wanted.</param>
/// <param name="Request">Nodes to request now.</param>
/// <param name="Release">Nodes to release now (with drain).</param>
public readonly record struct ControlStep(ControlDecision Decision, int Threads, int Nodes, int Request, IReadOnlyList<string> Release)
{
    /// <summary>Servers the step gives the stage: threads, plus the cores of the nodes.</summary>
    public int Servers(int coresPerNode) => Threads + (Nodes * coresPerNode);
}

/// <summary>
/// The decision for one stage, the same in the live controller and in <c>streams control simulate</c>: the law turns
/// an observation into a demand, the demand is split into threads and whole nodes (<see cref="CapacitySplit"/>), the
/// node pool's plan says what to request and release, and a twin advisor (if any) watches beside the law. Node
/// bookkeeping (<see cref="Nodes"/>) is kept here too; only the clock, the measurement of the stage, and what carries
/// out the step differ between the two.
/// </summary>
public sealed class StageControl(string stage, IControlLaw law, CapacityShape shape, TwinLaw? advisor = null)
{
    public string Stage { get; } = stage;

    public IControlLaw Law { get; } = law ?? throw new ArgumentNullException(nameof(law));

    public CapacityShape Shape { get; } = shape ?? throw new ArgumentNullException(nameof(shape));

    /// <summary>A twin advising beside the law (metrics only), or null.</summary>
    public TwinLaw? Advisor { get; } = advisor;

    /// <summary>The twin whose view is exported: the law itself when it is the twin, else the advisor.</summary>
    public TwinLaw? Twin => Law as TwinLaw ?? Advisor;

    public NodeBook Nodes { get; } = new();

    /// <summary>Decides for observation <paramref name="o"/>, the node pool being <see cref="NodeBook.Pool"/> (as last observed).</summary>
    public ControlStep Decide(in ControlObservation o)
    {
        var d = Law.Decide(o);
        Advisor?.Decide(o);
        var (threads, nodes) = CapacitySplit.Split(d.Servers, Shape);
        if (!Shape.HasNodes) return new ControlStep(d, threads, 0, 0, []);
        var (request, release) = CapacitySplit.Plan(nodes, Nodes.Pool);
        return new ControlStep(d, threads, nodes, request, release);
    }
}

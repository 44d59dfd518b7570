using System.Reflection;
using Streams.Engine.Operators;

namespace Streams.Engine.Tests;

/// <summary>
/// The operator contract (<c>Streams.Engine.Operators</c>) stands alone: read from the Engine assembly by reflection,
/// its types (base types, interfaces, fields, properties, events, constructors and methods, public or not) refer to no
/// Engine namespace but itself and the data it carries (<c>Streams.Engine.Batches</c>, whose books live in
/// <c>Streams.Engine.Accounting</c>), and the namespaces it reaches form no cycle.
/// </summary>
public sealed class ContractNamespaceTests
{
    private const string Contract = "Streams.Engine.Operators";

    private static readonly Assembly Engine = typeof(IOperator).Assembly;

    [Fact]
    public void The_contract_refers_only_to_itself_and_the_batches()
    {
        var graph = NamespaceGraph();
        var reached = graph[Contract].Order(StringComparer.Ordinal).ToList();
        Assert.All(reached, ns => Assert.Contains(ns, new[] { Contract, "Streams.Engine.Batches" }));
    }

    [Fact]
    public void Nothing_the_contract_reaches_depends_on_runtime_or_spec()
    {
        var graph = NamespaceGraph();
        var reachable = Reachable(graph, Contract);
        Assert.DoesNotContain("Streams.Engine.Runtime", reachable);
        Assert.DoesNotContain("Streams.Engine.Spec", reachable);
    }

    [Fact]
    public void The_namespaces_the_contract_reaches_form_no_cycle()
    {
        var graph = NamespaceGraph();
        foreach (var ns in Reachable(graph, Contract))
        {
            // A namespace is on a cycle when it can reach itself through another namespace.
            var back = graph[ns].Where(n => n != ns).Any(n => Reachable(graph, n).Contains(ns));
            Assert.False(back, $"namespace {ns} is on a dependency cycle");
        }
    }

    [Fact]
    public void No_engine_namespace_is_on_a_dependency_cycle()
    {
        var graph = NamespaceGraph();
        var cyclic = graph.Keys.Where(ns => graph[ns].Where(n => n != ns).Any(n => Reachable(graph, n).Contains(ns))).Order(StringComparer.Ordinal).ToList();
        Assert.True(cyclic.Count == 0, "on a cycle: " + string.Join(", ", cyclic));
    }

    [Fact]
    public void Runtime_and_spec_depend_on_the_contract()
    {
        var graph = NamespaceGraph();
        Assert.Contains(Contract, graph["Streams.Engine.Runtime"]);
        Assert.Contains(Contract, graph["Streams.Engine.Spec"]);
    }

    [Fact]
    public void The_builtin_operators_are_written_against_the_contract_alone()
    {
        var builtin = typeof(Streams.Operators.Builtin.BuiltinOperators).Assembly;
        var used = builtin.GetTypes().SelectMany(t => Signatures.Referenced(t)).Select(OwnNamespace).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.All(used, ns => Assert.Contains(ns, new[] { Contract, "Streams.Engine.Batches" }));
    }

    private static HashSet<string> Reachable(Dictionary<string, HashSet<string>> graph, string from)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { from };
        var todo = new Stack<string>([from]);
        while (todo.TryPop(out var ns))
        {
            foreach (var next in graph.GetValueOrDefault(ns) ?? [])
            {
                if (seen.Add(next)) todo.Push(next);
            }
        }

        return seen;
    }

    /// <summary>For each Engine namespace, the Engine namespaces its types refer to in their signatures.</summary>
    private static Dictionary<string, HashSet<string>> NamespaceGraph()
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var type in Engine.GetTypes())
        {
            var from = OwnNamespace(type);
            if (from is null) continue;
            if (!graph.TryGetValue(from, out var edges)) graph[from] = edges = new(StringComparer.Ordinal);
            foreach (var used in Signatures.Referenced(type))
            {
                if (OwnNamespace(used) is { } to && to != from) edges.Add(to);
            }
        }

        return graph;
    }

    /// <summary>The Engine namespace of <paramref name="type"/> (nested types count as their outer type's); null outside the Engine.</summary>
    private static string? OwnNamespace(Type type)
    {
        while (type.IsNested) type = type.DeclaringType!;
        return type.Assembly == Engine && type.Namespace is { } ns && ns.StartsWith("Streams.Engine", StringComparison.Ordinal) ? ns : null;
    }
}

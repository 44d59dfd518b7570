using Streams.Engine.Batches;
using Streams.Engine.Operators;

namespace Streams.Engine.Spec;

/// <summary>The outcome of planning: a plan when the pipeline is valid, and every problem found.</summary>
public sealed record PlanResult(PipelinePlan? Plan, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Ok => Plan is not null && Diagnostics.Count == 0;
}

/// <summary>
/// Turns a <see cref="PipelineSpec"/> into a <see cref="PipelinePlan"/>: resolves operators, checks roles,
/// parameters, worker limits, inputs, cycles and data types, and reports every problem with its location.
/// </summary>
public static class PipelinePlanner
{
    /// <summary>
    /// Plans what the loader could read even when it found problems, so one pass reports every problem of the file
    /// (the loader's and the planner's), in file order.
    /// </summary>
    public static PlanResult Plan(LoadResult loaded, OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        if (loaded.Spec is null) return new PlanResult(null, loaded.Diagnostics);
        var planned = Plan(loaded.Spec, catalog);
        if (loaded.Diagnostics.Count == 0) return planned;
        var all = loaded.Diagnostics.Concat(planned.Diagnostics).Distinct()
            .OrderBy(d => d.Location.Line).ThenBy(d => d.Location.Column).ToList();
        return new PlanResult(null, all);
    }

    public static PlanResult Plan(PipelineSpec spec, OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(catalog);
        var problems = new List<Diagnostic>();
        var byName = new Dictionary<string, PlannedNode>(StringComparer.Ordinal);
        var all = new List<PlannedNode>();

        foreach (var node in spec.Nodes)
        {
            if (byName.TryGetValue(node.Name, out var first))
            {
                problems.Add(new Diagnostic(node.Location, $"duplicate name '{node.Name}' (first defined at {first.Spec.Location})"));
                continue;
            }

            var kind = node.Role switch { NodeRole.Source => OperatorKind.Source, NodeRole.Sink => OperatorKind.Sink, _ => OperatorKind.Processor };
            if (!catalog.TryGet(node.Operator, out var descriptor))
            {
                var suggestion = Suggestions.Closest(node.Operator, catalog.NamesOf(kind)) ?? Suggestions.Closest(node.Operator, catalog.All.Select(d => d.Name));
                var hint = suggestion is null ? "" : $"; did you mean {suggestion}?";
                problems.Add(new Diagnostic(node.OperatorLocation, $"unknown operator '{node.Operator}' for {Describe(node.Role)} '{node.Name}'{hint} (known: {string.Join(", ", catalog.NamesOf(kind))})"));
                continue;
            }

            if (descriptor.Kind != kind)
            {
                problems.Add(new Diagnostic(node.OperatorLocation, $"operator '{node.Operator}' is a {descriptor.Kind.ToString().ToLowerInvariant()}, but '{node.Name}' is declared as a {Describe(node.Role)}; {Describe(node.Role)} operators: {string.Join(", ", catalog.NamesOf(kind))}"));
                continue;
            }

            var values = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
            foreach (var (k, v) in node.InheritedConfig)
            {
                if (descriptor.Parameters.Any(p => p.Name == k)) values[k] = v;
            }

            foreach (var (k, v) in node.Config) values[k] = v;
            var config = new OperatorConfig(descriptor.Parameters, values, node.Name);
            var configProblems = config.Check();
            problems.AddRange(configProblems);
            if (configProblems.Count == 0) TryConfigure(descriptor, config, node, problems);

            if (descriptor.MaxWorkers is { } max && node.Workers > max)
            {
                problems.Add(new Diagnostic(node.WorkersLocation, $"'{node.Name}' asks for {node.Workers} workers; operator '{descriptor.Name}' allows at most {max}"));
            }

            if (node.Role == NodeRole.Source && node.Workers != 1)
            {
                problems.Add(new Diagnostic(node.WorkersLocation, $"source '{node.Name}' runs as one instance (workers: 1); declare several sources to read several inputs"));
            }

            var planned = new PlannedNode(node, descriptor, config);
            byName[node.Name] = planned;
            all.Add(planned);
        }

        Wire(spec, all, byName, problems);
        var ordered = TopologicalOrder(all, problems);
        if (ordered is not null) AssignTypes(ordered, problems);

        return problems.Count == 0 && ordered is not null
            ? new PlanResult(new PipelinePlan(spec, ordered), problems)
            : new PlanResult(null, problems);
    }

    private static void TryConfigure(OperatorDescriptor descriptor, OperatorConfig config, NodeSpec node, List<Diagnostic> problems)
    {
        try
        {
            using var instance = descriptor.Factory();
            instance.Configure(config);
        }
        catch (ConfigException e)
        {
            problems.Add(new Diagnostic(e.Location ?? node.OperatorLocation, e.Message) { Output = e.Output });
        }
        catch (Exception e)
        {
            problems.Add(new Diagnostic(node.OperatorLocation, $"operator '{descriptor.Name}' of '{node.Name}' failed to configure: {e.GetType().Name}: {e.Message}"));
        }
    }

    private static void Wire(PipelineSpec spec, List<PlannedNode> all, Dictionary<string, PlannedNode> byName, List<Diagnostic> problems)
    {
        foreach (var node in all)
        {
            if (node.Spec.Role == NodeRole.Source)
            {
                if (node.Spec.Inputs.Count > 0) problems.Add(new Diagnostic(node.Spec.Inputs[0].Location, $"source '{node.Name}' cannot have an input"));
                continue;
            }

            if (node.Spec.Inputs.Count == 0)
            {
                problems.Add(new Diagnostic(node.Spec.Location, $"{Describe(node.Spec.Role)} '{node.Name}' has no input (add 'input: NAME' or 'inputs: [A, B]')"));
                continue;
            }

            foreach (var (inputName, at) in node.Spec.Inputs)
            {
                if (!byName.TryGetValue(inputName, out var input))
                {
                    // A node already reported (unknown operator, wrong role) is declared: do not report it twice.
                    if (spec.Nodes.Any(n => n.Name == inputName) || spec.UnreadNodes.Contains(inputName)) continue;
                    var known = string.Join(", ", all.Where(n => n.Spec.Role != NodeRole.Sink).Select(n => n.Name));
                    problems.Add(new Diagnostic(at, $"'{node.Name}' takes input from '{inputName}', which is not defined (sources and stages: {known})"));
                }
                else if (input.Spec.Role == NodeRole.Sink)
                {
                    problems.Add(new Diagnostic(at, $"'{node.Name}' takes input from sink '{inputName}'; a sink has no output"));
                }
                else if (ReferenceEquals(input, node))
                {
                    problems.Add(new Diagnostic(at, $"'{node.Name}' takes input from itself"));
                }
                else if (node.Inputs.Contains(input))
                {
                    problems.Add(new Diagnostic(at, $"'{node.Name}' lists input '{inputName}' twice"));
                }
                else
                {
                    node.Inputs.Add(input);
                    input.Outputs.Add(node);
                }
            }
        }

        foreach (var node in all)
        {
            // An entry the loader could not read may have been its consumer: say nothing then (the entry was reported).
            if (node.Spec.Role != NodeRole.Sink && node.Outputs.Count == 0 && spec.UnreadNodes.Count == 0 && !spec.Nodes.Any(n => n.Inputs.Any(i => i.Name == node.Name)))
            {
                problems.Add(new Diagnostic(node.Spec.Location, $"{Describe(node.Spec.Role)} '{node.Name}' feeds nothing; every path must end in a sink"));
            }
        }
    }

    private static List<PlannedNode>? TopologicalOrder(List<PlannedNode> all, List<Diagnostic> problems)
    {
        var pending = all.ToDictionary(n => n, n => n.Inputs.Count);
        var ready = new Queue<PlannedNode>(all.Where(n => n.Inputs.Count == 0));
        var order = new List<PlannedNode>(all.Count);
        while (ready.TryDequeue(out var n))
        {
            order.Add(n);
            foreach (var o in n.Outputs)
            {
                if (--pending[o] == 0) ready.Enqueue(o);
            }
        }

        if (order.Count == all.Count) return order;

        // What is left is on a cycle or downstream of one; only the nodes on a cycle are reported.
        var left = all.Where(n => !order.Contains(n)).ToHashSet();
        foreach (var n in left)
        {
            if (CycleThrough(n, left) is { } cycle)
            {
                problems.Add(new Diagnostic(n.Spec.Location, $"'{n.Name}' is part of a cycle ({string.Join(" -> ", cycle.Select(c => c.Name))}); pipelines must flow one way"));
            }
        }

        return null;
    }

    /// <summary>The shortest path <paramref name="start"/> -> ... -> <paramref name="start"/> through <paramref name="within"/>, or null.</summary>
    private static List<PlannedNode>? CycleThrough(PlannedNode start, HashSet<PlannedNode> within)
    {
        var previous = new Dictionary<PlannedNode, PlannedNode>();
        var queue = new Queue<PlannedNode>([start]);
        while (queue.TryDequeue(out var n))
        {
            foreach (var o in n.Outputs.Where(within.Contains))
            {
                if (ReferenceEquals(o, start))
                {
                    var path = new List<PlannedNode> { start };
                    for (var at = n; !ReferenceEquals(at, start); at = previous[at]) path.Add(at);
                    path.Add(start);
                    path.Reverse();
                    return path;
                }

                if (previous.TryAdd(o, n)) queue.Enqueue(o);
            }
        }

        return null;
    }

    private static void AssignTypes(List<PlannedNode> ordered, List<Diagnostic> problems)
    {
        foreach (var node in ordered)
        {
            var d = node.Descriptor;
            foreach (var input in node.Inputs)
            {
                var produced = input.OutputType ?? DataTypes.Any;
                if (!DataTypes.Matches(produced, d.InputTypes))
                {
                    var at = node.Spec.Inputs.First(i => i.Name == input.Name).Location;
                    problems.Add(new Diagnostic(at, $"type mismatch: '{input.Name}' produces '{produced}' but '{node.Name}' (operator '{d.Name}') accepts {string.Join(" or ", d.InputTypes.Select(t => $"'{t}'"))}"));
                }
            }

            if (node.Kind == OperatorKind.Sink) continue;
            var declared = d.ResolveOutputType?.Invoke(node.Config) ?? d.OutputType;
            if (declared == DataTypes.SameAsInput)
            {
                var inputTypes = node.Inputs.Select(i => i.OutputType ?? DataTypes.Any).Distinct(StringComparer.Ordinal).ToList();
                declared = inputTypes.Count == 1 ? inputTypes[0] : DataTypes.Any;
            }

            node.OutputType = declared;
        }
    }

    private static string Describe(NodeRole role) => role switch
    {
        NodeRole.Source => "source",
        NodeRole.Sink => "sink",
        _ => "stage",
    };
}

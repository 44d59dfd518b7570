using Streams.Engine.Operators;
using YamlDotNet.RepresentationModel;

namespace Streams.Engine.Spec;

/// <summary>
/// Reads ERSAP's services.yaml: <c>io-services.reader</c> -> each of <c>services</c> in order (or the
/// <c>data-processing.chain</c>) -> <c>io-services.writer</c>, plus an optional <c>monitoring.chain</c> fed from the
/// last data-processing service and ending in a sink. <c>class</c> names a Streams operator. Configuration comes from
/// <c>configuration.global</c>, overridden per service by <c>configuration.services.NAME</c> and per I/O service by
/// <c>configuration.io-services.reader|writer</c>. ERSAP's <c>threads</c> (its <c>set threads N</c>) sets the workers.
/// </summary>
internal static class ErsapShape
{
    private const string Threads = "threads";

    public static PipelineSpec Read(YamlMappingNode root, YamlReading r)
    {
        r.OnlyKeys(root, "services.yaml", "io-services", "services", "configuration", "mime-types", "name");
        var name = YamlReading.Get(root, "name") is { } n ? r.Scalar(n, "'name'") : null;
        var spec = new PipelineSpec { Name = name ?? Path.GetFileNameWithoutExtension(r.File), File = r.File, Format = "ersap" };

        // configuration blocks
        var global = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
        var perService = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        YamlMappingNode? ioConfig = null;
        if (YamlReading.Get(root, "configuration") is { } cfgNode && r.Mapping(cfgNode, "'configuration'") is { } cfg)
        {
            r.OnlyKeys(cfg, "'configuration'", "global", "io-services", "services");
            if (YamlReading.Get(cfg, "global") is { } g) r.Config(g, "'configuration.global'", global);
            if (YamlReading.Get(cfg, "io-services") is { } io) ioConfig = r.Mapping(io, "'configuration.io-services'");
            if (YamlReading.Get(cfg, "services") is { } s && r.Mapping(s, "'configuration.services'") is { } sm)
            {
                foreach (var (k, v) in sm.Children)
                {
                    if (r.Scalar(k, "a service name") is { } sn) perService[sn] = v;
                }
            }
        }

        // io-services
        NodeSpec? reader = null, writer = null;
        if (YamlReading.Get(root, "io-services") is not { } ioNode)
        {
            r.Error(root, "services.yaml has no 'io-services' (a reader and a writer)");
        }
        else if (r.Mapping(ioNode, "'io-services'") is { } io)
        {
            r.OnlyKeys(io, "'io-services'", "reader", "writer");
            reader = ReadService(io, "reader", NodeRole.Source, r, "'io-services'");
            writer = ReadService(io, "writer", NodeRole.Sink, r, "'io-services'");
            if (reader is not null) ApplyConfig(reader, global, ioConfig is null ? null : YamlReading.Get(ioConfig, "reader"), r);
            if (writer is not null) ApplyConfig(writer, global, ioConfig is null ? null : YamlReading.Get(ioConfig, "writer"), r);
        }

        // services: a list (the chain) or {data-processing: {chain}, monitoring: {chain}}
        var chain = new List<NodeSpec>();
        var monitoring = new List<NodeSpec>();
        if (YamlReading.Get(root, "services") is { } servicesNode)
        {
            if (servicesNode is YamlMappingNode groups)
            {
                r.OnlyKeys(groups, "'services'", "data-processing", "monitoring");
                if (YamlReading.Get(groups, "data-processing") is { } dp) ReadChain(dp, "data-processing", chain, r);
                if (YamlReading.Get(groups, "monitoring") is { } mon) ReadChain(mon, "monitoring", monitoring, r);
            }
            else if (r.Sequence(servicesNode, "'services'") is { } list)
            {
                ReadList(list, chain, r);
            }
        }

        foreach (var s in chain.Concat(monitoring))
        {
            ApplyConfig(s, global, perService.GetValueOrDefault(s.Name), r);
        }

        foreach (var configured in perService)
        {
            if (!chain.Concat(monitoring).Any(s => s.Name == configured.Key))
            {
                r.Error(configured.Value, $"'configuration.services' configures '{configured.Key}', which is not in 'services'");
            }
        }

        // wire the chain: reader -> chain... -> writer; monitoring hangs off the end of the chain.
        var previous = reader;
        if (reader is not null) spec.Nodes.Add(reader);
        foreach (var s in chain)
        {
            if (previous is not null) s.Inputs.Add((previous.Name, s.Location));
            spec.Nodes.Add(s);
            previous = s;
        }

        var tap = previous;
        if (writer is not null)
        {
            if (previous is not null) writer.Inputs.Add((previous.Name, writer.Location));
            spec.Nodes.Add(writer);
        }

        previous = tap;
        for (var i = 0; i < monitoring.Count; i++)
        {
            var m = monitoring[i];
            if (previous is not null) m.Inputs.Add((previous.Name, m.Location));
            spec.Nodes.Add(i == monitoring.Count - 1 ? AsSink(m) : m);
            previous = m;
        }

        return spec;
    }

    private static NodeSpec AsSink(NodeSpec m)
    {
        var sink = new NodeSpec { Name = m.Name, Location = m.Location, Role = NodeRole.Sink, Operator = m.Operator, OperatorLocation = m.OperatorLocation, Workers = m.Workers, WorkersLocation = m.WorkersLocation, MaxWorkers = m.MaxWorkers, Queue = m.Queue };
        sink.Inputs.AddRange(m.Inputs);
        foreach (var kv in m.Config) sink.Config[kv.Key] = kv.Value;
        foreach (var kv in m.InheritedConfig) sink.InheritedConfig[kv.Key] = kv.Value;
        return sink;
    }

    private static void ReadChain(YamlNode node, string group, List<NodeSpec> into, YamlReading r)
    {
        if (r.Mapping(node, $"'services.{group}'") is not { } map) return;
        r.OnlyKeys(map, $"'services.{group}'", "chain");
        if (YamlReading.Get(map, "chain") is { } c && r.Sequence(c, $"'services.{group}.chain'") is { } list)
        {
            ReadList(list, into, r);
        }
    }

    private static void ReadList(YamlSequenceNode list, List<NodeSpec> into, YamlReading r)
    {
        foreach (var item in list)
        {
            if (r.Mapping(item, "a service") is { } map && ReadServiceMap(map, NodeRole.Stage, r, "a service") is { } s)
            {
                into.Add(s);
            }
        }
    }

    private static NodeSpec? ReadService(YamlMappingNode io, string key, NodeRole role, YamlReading r, string where)
    {
        if (YamlReading.Get(io, key) is not { } node)
        {
            r.Error(io, $"{where} has no '{key}'");
            return null;
        }

        return r.Mapping(node, $"'{key}'") is { } map ? ReadServiceMap(map, role, r, $"'io-services.{key}'") : null;
    }

    private static NodeSpec? ReadServiceMap(YamlMappingNode map, NodeRole role, YamlReading r, string what)
    {
        r.OnlyKeys(map, what, "class", "name", "lang", "container", "workers", "max-workers", "queue");
        var classNode = YamlReading.Get(map, "class");
        var nameNode = YamlReading.Get(map, "name");
        if (classNode is null) r.Error(map, $"{what} has no 'class'");
        if (nameNode is null) r.Error(map, $"{what} has no 'name'");
        var cls = classNode is null ? null : r.Scalar(classNode, "'class'");
        var name = nameNode is null ? null : r.Scalar(nameNode, "'name'");
        if (cls is null || name is null) return null;
        if (YamlReading.Get(map, "lang") is { } lang && r.Scalar(lang, "'lang'") is { } l && l is not ("java" or "cpp" or "python" or "csharp" or "dotnet"))
        {
            r.Error(lang, $"'lang' is '{l}'; Streams runs every service in .NET (java, cpp, python or csharp are accepted for compatibility)");
        }

        var node = new NodeSpec { Name = name, Location = r.At(nameNode!), Role = role, Operator = cls, OperatorLocation = r.At(classNode!) };
        PipelineLoader.ReadSizing(map, node, r);
        return node;
    }

    /// <summary>Global values are inherited (used where the operator declares them); the service's own block overrides.</summary>
    private static void ApplyConfig(NodeSpec node, Dictionary<string, ConfigValue> global, YamlNode? own, YamlReading r)
    {
        foreach (var (k, v) in global)
        {
            if (k == Threads) continue;
            node.InheritedConfig[k] = v;
        }

        var explicitValues = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
        if (own is not null) r.Config(own, $"the configuration of '{node.Name}'", explicitValues);
        var threads = explicitValues.GetValueOrDefault(Threads) ?? (node.Role == NodeRole.Stage ? global.GetValueOrDefault(Threads) : null);
        explicitValues.Remove(Threads);
        if (threads is not null)
        {
            if (int.TryParse(threads.Scalar, out var t) && t is >= 1 and <= 1024)
            {
                node.Workers = t;
                node.WorkersLocation = threads.Location;
            }
            else
            {
                r.Error(threads.Location, $"'threads' is '{threads}'; expected a whole number 1..1024");
            }
        }

        foreach (var (k, v) in explicitValues) node.Config[k] = v;
    }
}

using Streams.Engine.Operators;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Streams.Engine.Spec;

/// <summary>The outcome of reading a pipeline file: the spec when it could be read, and every problem found.</summary>
public sealed record LoadResult(PipelineSpec? Spec, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Ok => Spec is not null && Diagnostics.Count == 0;
}

/// <summary>
/// Reads pipeline YAML in either shape into one <see cref="PipelineSpec"/>: the native shape (<c>sources</c>,
/// <c>stages</c>, <c>sinks</c>, <c>metrics</c>) or ERSAP's services.yaml (<c>io-services</c>, <c>services</c>,
/// <c>configuration</c>). Structural problems are reported with file, line and column; operator-level checks
/// (names, types, parameters) happen in <see cref="PipelinePlanner"/>.
/// </summary>
public static class PipelineLoader
{
    public static LoadResult LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            if (Directory.Exists(path)) return Unreadable(path, "is a directory, not a pipeline file");
            text = System.IO.File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Unreadable(path, ReadError(e));
        }

        return Load(text, path);
    }

    /// <summary>Why a file could not be read, in a few words (no .NET exception text).</summary>
    public static string ReadError(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => $"cannot read: {e.Message}",
    };

    /// <summary>A file that could not be read has no line and column: its diagnostic is located at line 0 (printed as the path alone).</summary>
    private static LoadResult Unreadable(string path, string why) => new(null, [new Diagnostic(new SourceLocation(path, 0, 0), why)]);

    public static LoadResult Load(string yaml, string file)
    {
        var diagnostics = new List<Diagnostic>();
        var r = new YamlReading(file, diagnostics);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            var message = (e.InnerException?.Message ?? e.Message).Trim();
            if (message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FindTab(yaml, (int)e.Start.Line) is { } tab)
            {
                // YamlDotNet reports where the scanner noticed it (often the line before); point at the tab itself.
                diagnostics.Add(new Diagnostic(new SourceLocation(file, tab.Line, tab.Column), "YAML syntax: a tab character in the indentation; YAML indents with spaces only"));
                return new LoadResult(null, diagnostics);
            }

            diagnostics.Add(new Diagnostic(r.At(e.Start), $"YAML syntax: {message}"));
            return new LoadResult(null, diagnostics);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet's scanner and loader throw these, without a position, on some malformed input (found by fuzzing).
            diagnostics.Add(new Diagnostic(new SourceLocation(file, 1, 1), $"YAML syntax: the file is not valid YAML ({e.Message.Trim()})"));
            return new LoadResult(null, diagnostics);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var at = stream.Documents.Count == 0 ? new SourceLocation(file, 1, 1) : r.At(stream.Documents[0].RootNode);
            diagnostics.Add(new Diagnostic(at, "a pipeline file must be a mapping with 'sources', 'stages' and 'sinks' (or ERSAP's 'io-services' and 'services')"));
            return new LoadResult(null, diagnostics);
        }

        var isErsap = YamlReading.Get(root, "io-services") is not null || YamlReading.Get(root, "services") is not null;
        var spec = isErsap ? ErsapShape.Read(root, r) : ReadNative(root, r);
        return new LoadResult(spec, diagnostics);
    }

    /// <summary>The first tab in a line's leading whitespace from line <paramref name="fromLine"/> on (1-based), else the first tab at all.</summary>
    internal static (int Line, int Column)? FindTab(string yaml, int fromLine)
    {
        var lines = yaml.Split('\n');
        (int, int)? any = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var col = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (col < 0) continue;
            if (i + 1 >= fromLine && lines[i].AsSpan(0, col).IsWhiteSpace()) return (i + 1, col + 1);
            any ??= (i + 1, col + 1);
        }

        return any;
    }

    private static PipelineSpec ReadNative(YamlMappingNode root, YamlReading r)
    {
        r.OnlyKeys(root, "the pipeline", "name", "description", "sources", "stages", "sinks", "metrics", "control");
        var name = YamlReading.Get(root, "name") is { } n ? r.Scalar(n, "'name'") : null;
        var spec = new PipelineSpec { Name = name ?? Path.GetFileNameWithoutExtension(r.File), File = r.File, Format = "native" };

        ReadSection(root, "sources", NodeRole.Source, spec, r);
        ReadSection(root, "stages", NodeRole.Stage, spec, r);
        ReadSection(root, "sinks", NodeRole.Sink, spec, r);
        // A control process for node pipelines behind a load balancer (control.node-pipeline) owns no data: no sections.
        var controlOnly = YamlReading.Get(root, "control") is YamlMappingNode c && YamlReading.Get(c, "node-pipeline") is not null
            && YamlReading.Get(root, "sources") is null && YamlReading.Get(root, "stages") is null && YamlReading.Get(root, "sinks") is null;
        if (YamlReading.Get(root, "sources") is null && !controlOnly)
        {
            r.Error(root, "the pipeline has no 'sources' section");
        }

        if (YamlReading.Get(root, "sinks") is null && !controlOnly)
        {
            r.Error(root, "the pipeline has no 'sinks' section");
        }

        if (YamlReading.Get(root, "metrics") is { } metricsNode && r.Mapping(metricsNode, "'metrics'") is { } metrics)
        {
            r.OnlyKeys(metrics, "'metrics'", "listen");
            if (YamlReading.Get(metrics, "listen") is { } listen)
            {
                spec.MetricsListen = r.Scalar(listen, "'metrics.listen'");
                spec.MetricsLocation = r.At(listen);
                if (spec.MetricsListen is { } l && !ListenAddress.IsOff(l) && ListenAddress.TryParse(l, out _, anyPort: true) is { } bad)
                {
                    r.Error(listen, $"'metrics.listen': {bad}");
                }
            }
        }

        if (YamlReading.Get(root, "control") is { } control)
        {
            spec.ControlLocation = r.At(control);
            r.Config(control, "'control'", spec.Control);
        }

        return spec;
    }

    private static void ReadSection(YamlMappingNode root, string section, NodeRole role, PipelineSpec spec, YamlReading r)
    {
        if (YamlReading.Get(root, section) is not { } node) return;
        if (node is YamlScalarNode { Value: null or "" or "~" or "null" }) return;
        if (r.Sequence(node, $"'{section}'") is not { } list) return;
        foreach (var item in list)
        {
            if (r.Mapping(item, $"an entry of '{section}'") is not { } map) continue;
            r.OnlyKeys(map, $"{section} entry", "name", "operator", "input", "inputs", "workers", "max-workers", "queue", "placement", "config", "description");
            var nameNode = YamlReading.Get(map, "name");
            var opNode = YamlReading.Get(map, "operator");
            if (nameNode is null) r.Error(map, $"an entry of '{section}' has no 'name'");
            if (opNode is null) r.Error(map, $"an entry of '{section}' has no 'operator'");
            var nodeName = nameNode is null ? null : r.Scalar(nameNode, "'name'");
            var op = opNode is null ? null : r.Scalar(opNode, "'operator'");
            if (nodeName is null || op is null)
            {
                if (nodeName is not null) spec.UnreadNodes.Add(nodeName);
                continue;
            }

            var node2 = new NodeSpec { Name = nodeName, Location = r.At(nameNode!), Role = role, Operator = op, OperatorLocation = r.At(opNode!) };
            if (YamlReading.Get(map, "input") is { } input && r.Scalar(input, "'input'") is { } inputName)
            {
                node2.Inputs.Add((inputName, r.At(input)));
            }

            if (YamlReading.Get(map, "inputs") is { } inputs && r.Sequence(inputs, "'inputs'") is { } inputList)
            {
                foreach (var i in inputList)
                {
                    if (r.Scalar(i, "an item of 'inputs'") is { } iname) node2.Inputs.Add((iname, r.At(i)));
                }
            }

            ReadSizing(map, node2, r);
            if (YamlReading.Get(map, "placement") is { } placement && r.Scalar(placement, $"'placement' of '{nodeName}'") is { } where)
            {
                node2.PlacementLocation = r.At(placement);
                if (where == "local") node2.Placement = Placement.Local;
                else if (where == "workers") node2.Placement = Placement.Workers;
                else r.Error(placement, $"'placement' of '{nodeName}' is '{where}'; use 'local' (this process) or 'workers' (worker processes that join the run's coordinator)");
                if (role != NodeRole.Stage && node2.Placement == Placement.Workers) r.Error(placement, $"'{nodeName}' is in '{section}': only stages can run on workers");
            }

            if (YamlReading.Get(map, "config") is { } config) r.Config(config, $"'config' of '{nodeName}'", node2.Config);
            spec.Nodes.Add(node2);
        }
    }

    /// <summary>Reads <c>workers</c>, <c>max-workers</c> and <c>queue</c> (shared by both shapes).</summary>
    internal static void ReadSizing(YamlMappingNode map, NodeSpec node, YamlReading r)
    {
        if (YamlReading.Get(map, "workers") is { } w && r.Int(w, $"'workers' of '{node.Name}'", 1, 1024) is { } workers)
        {
            node.Workers = workers;
            node.WorkersLocation = r.At(w);
        }
        else
        {
            node.WorkersLocation = node.Location;
        }

        if (YamlReading.Get(map, "max-workers") is { } mw && r.Int(mw, $"'max-workers' of '{node.Name}'", 1, 1024) is { } maxWorkers)
        {
            node.MaxWorkers = maxWorkers;
            if (maxWorkers < node.Workers) r.Error(mw, $"'max-workers' of '{node.Name}' is {maxWorkers}, below its 'workers' ({node.Workers})");
        }

        // A queue holds batches; 1..65536 batches of up to a few thousand events each.
        if (YamlReading.Get(map, "queue") is { } q && r.Int(q, $"'queue' of '{node.Name}'", 1, 65536) is { } queue)
        {
            node.Queue = queue;
        }
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Streams.Control.Live;
using Streams.Control.Nodes;
using Streams.Jrm;

namespace Streams.Cli.Elastic;

/// <summary>One node pipeline's books, from the summary it wrote (<see cref="NodePipelineCommandLine.SummaryFile"/>).</summary>
/// <param name="Name">The node's id (its member name).</param>
/// <param name="State">Its state as the provider last listed it.</param>
/// <param name="Joined">It served at least once (had slots).</param>
/// <param name="Summary">Whether it wrote a summary.</param>
/// <param name="Ok">Its run did its job (its summary's verdict).</param>
/// <param name="Received">Events its receiver completed.</param>
/// <param name="Processed">Events it finished.</param>
/// <param name="Failed">Events an operator failed.</param>
/// <param name="Lost">Events lost, by reason (the receiver's reasons, then the pipeline's discards).</param>
public sealed record NodeLine(string Name, string State, bool Joined, bool Summary, bool Ok, long Received, long Processed, long Failed, IReadOnlyDictionary<string, long> Lost);

/// <summary>The books of every node of a control process's run.</summary>
public sealed record NodeBooks(IReadOnlyList<NodeLine> Nodes)
{
    public long Received => Nodes.Sum(n => n.Received);

    public long Processed => Nodes.Sum(n => n.Processed);

    public long Lost => Nodes.Sum(n => n.Failed + n.Lost.Values.Sum());

    /// <summary>Why the books say the run did not do its job (a node that served wrote no summary, failed, or lost events); null when they balance.</summary>
    public string? Problem =>
        Nodes.FirstOrDefault(n => n.Joined && !n.Summary) is { } silent ? $"node {silent.Name} served but wrote no summary ({silent.State})"
        : Nodes.FirstOrDefault(n => n.Summary && !n.Ok) is { } bad ? $"node {bad.Name} did not do its job (see its summary)"
        : Lost > 0 ? $"{Lost} events lost in the nodes"
        : null;

    /// <summary>Reads DIRECTORY/NAME/summary.json for every node <paramref name="book"/> knows of (<paramref name="nameOf"/>: its name from its provider id).</summary>
    public static NodeBooks Gather(string nodesDirectory, NodeBook book, Func<string, string> nameOf, DateTimeOffset started)
    {
        ArgumentNullException.ThrowIfNull(book);
        ArgumentNullException.ThrowIfNull(nameOf);
        var lines = new List<NodeLine>();
        foreach (var (node, state, joined) in book.Known.OrderBy(k => k.Id, StringComparer.Ordinal))
        {
            var id = nameOf(node);
            var file = Path.Combine(nodesDirectory, id, NodePipelineCommandLine.SummaryFile);
            JsonNode? s = null;
            try
            {
                // A summary older than this run is another run's.
                if (File.Exists(file) && File.GetLastWriteTimeUtc(file) >= started.UtcDateTime.AddSeconds(-1)) s = JsonNode.Parse(File.ReadAllText(file));
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                s = null;
            }

            var st = state.ToString().ToLowerInvariant();
            if (s is null)
            {
                lines.Add(new NodeLine(id, st, joined, false, false, 0, 0, 0, new Dictionary<string, long>()));
                continue;
            }

            var events = s["events"];
            var ejfat = s["ejfat"];
            var lost = new Dictionary<string, long>(StringComparer.Ordinal);
            long receiverLost = 0;
            if (ejfat?["eventsLost"] is JsonObject byReason)
            {
                foreach (var (reason, v) in byReason)
                {
                    var n = v?.GetValue<long>() ?? 0;
                    lost[$"receiver {reason}"] = n;
                    receiverLost += n;
                }
            }

            // The receiver's lost events are counted as discarded in the node's books too: only the rest is new.
            lost["pipeline discarded (other)"] = Math.Max(0, Long(events?["discarded"]) - receiverLost);
            var ok = s["ok"]?.GetValue<bool>() ?? s["exitCode"]?.GetValue<int>() == 0;
            lines.Add(new NodeLine(id, st, joined, true, ok, ejfat?["eventsCompleted"] is { } c ? Long(c) : Long(events?["received"]), Long(events?["processed"]), Long(events?["failed"]), lost));
        }

        return new NodeBooks(lines);
    }

    private static long Long(JsonNode? n) => n is null ? 0 : n.GetValue<long>();
}

/// <summary>The summary of a control process: its nodes (requested, joined, released, failed) and their books.</summary>
public sealed record ElasticSummary(string Pipeline, string NodePipeline, string LoadBalancer, NodesSummary Nodes, NodeBooks Books, bool Ok, string? ExitReason)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string ToJson() => JsonSerializer.Serialize(new
    {
        pipeline = Pipeline,
        nodePipeline = NodePipeline,
        loadBalancer = LoadBalancer,
        ok = Ok,
        exitReason = ExitReason,
        nodes = Nodes,
        events = new { received = Books.Received, processed = Books.Processed, lost = Books.Lost },
        members = Books.Nodes,
    }, Indented);

    /// <summary>The table printed at the end.</summary>
    public string Text()
    {
        var t = new StringBuilder();
        t.AppendLine(CultureInfo.InvariantCulture, $"control process {Pipeline}: {Nodes.Requested} node(s) requested from {Nodes.Provider}, {Nodes.Joined} joined, {Nodes.Released} released, {Nodes.Failed} failed");
        t.AppendLine(CultureInfo.InvariantCulture, $"{"node",-24} {"state",-9} {"received",10} {"processed",10} {"lost",8}");
        foreach (var n in Books.Nodes)
        {
            t.AppendLine(CultureInfo.InvariantCulture, $"{n.Name,-24} {n.State,-9} {n.Received,10:#,0} {n.Processed,10:#,0} {n.Failed + n.Lost.Values.Sum(),8:#,0}{(n.Summary ? "" : "  (no summary)")}");
        }

        t.Append(CultureInfo.InvariantCulture, $"nodes received {Books.Received:#,0} events, processed {Books.Processed:#,0}, lost {Books.Lost:#,0}");
        return t.ToString();
    }
}

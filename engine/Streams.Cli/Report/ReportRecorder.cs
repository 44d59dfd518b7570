using Streams.Cli.Live;
using Streams.Engine.Metrics;
using Streams.Engine.Runtime;
using Streams.Reporting.Report;

namespace Streams.Cli.Report;

/// <summary>
/// Collects what the run report draws over time (<c>streams run --report DIR</c>): per sample, each stage's events/s,
/// queue depth and worker threads, and the nodes by state and by site when a node provider runs (read back from the
/// registry's <c>streams_nodes</c> and <c>streams_site_nodes</c> gauges); each controller decision, marked at the run time it was logged. At the end it writes
/// the report from the run's summary.
/// </summary>
internal sealed class ReportRecorder
{
    public const string EventsPerSecond = "events/s";
    public const string QueueDepth = "queue depth (events)";
    public const string Threads = "worker threads";
    public const string Nodes = "nodes";
    public const string NodesBySite = "nodes by site";

    private readonly string _pipeline;
    private readonly MetricsRegistry? _nodesFrom;
    private double _seconds;

    /// <param name="pipeline">The pipeline's name (the <c>pipeline</c> label of its gauges).</param>
    /// <param name="nodesFrom">The registry to read node counts from; null when no node provider runs.</param>
    public ReportRecorder(string pipeline, MetricsRegistry? nodesFrom)
    {
        _pipeline = pipeline;
        _nodesFrom = nodesFrom;
    }

    public RunTimeline Timeline { get; } = new();

    /// <summary>Records the run over time from <paramref name="pipeline"/>'s snapshots and <paramref name="live"/>'s controller lines.</summary>
    public void Follow(Pipeline pipeline, LiveRun live)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(live);
        pipeline.Sampled += OnSample;
        live.Decided += OnDecision;
    }

    internal void OnSample(PipelineSnapshot s)
    {
        Volatile.Write(ref _seconds, s.Elapsed.TotalSeconds);
        var values = new List<(string, string, double)>(3 * s.Stages.Count + 4);
        foreach (var st in s.Stages) values.Add((EventsPerSecond, st.Name, st.EventsPerSecond));
        foreach (var st in s.Stages.Where(st => st.Kind != "source")) values.Add((QueueDepth, st.Name, st.QueueDepth));
        foreach (var st in s.Stages.Where(st => st.Kind != "source")) values.Add((Threads, st.Name, st.Threads));
        if (_nodesFrom is not null)
        {
            var text = _nodesFrom.ExportTextAsync().GetAwaiter().GetResult();
            foreach (var m in MetricsText.Parse(text, "streams_nodes", "streams_site_nodes").Where(m => m.Label("pipeline") == _pipeline))
            {
                if (m.Name == "streams_nodes") values.Add((Nodes, $"{m.Label("state")} ({m.Label("provider")})", m.Value));
                else if (m.Name == "streams_site_nodes") values.Add((NodesBySite, $"{m.Label("site")} {m.Label("state")}", m.Value));
            }
        }

        Timeline.Sample(s.Elapsed.TotalSeconds, values);
    }

    internal void OnDecision(LiveDecision d) => Timeline.Mark(Volatile.Read(ref _seconds), d.Stage ?? "", d.Message);

    /// <summary>Writes the report for <paramref name="summary"/> into <paramref name="directory"/>; returns its path or the one-line reason it could not.</summary>
    public (string? Path, string? Error) Write(string directory, PipelineSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        try
        {
            return (HtmlReport.Write(directory, summary.ToJson(), Timeline, DateTimeOffset.UtcNow), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"could not write the report to {directory}: {e.Message}");
        }
    }
}

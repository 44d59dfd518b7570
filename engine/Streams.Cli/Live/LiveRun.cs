using System.Text;
using System.Text.RegularExpressions;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.Transports.ZeroMq.Coordination;

namespace Streams.Cli.Live;

/// <summary>
/// The live view's source for <c>streams run</c>: the pipeline's snapshots (<see cref="Pipeline.Sampled"/>), the
/// controller's lines taken from the run's log as they are written (<see cref="Tap"/>), and the coordinator's worker
/// processes. The controller's numbers (demand, supply, the twin's estimate) are read from the metrics registry by the
/// endpoint itself.
/// </summary>
internal sealed partial class LiveRun(PipelinePlan plan) : ILiveSource
{
    /// <summary>Controller lines kept for the view: the latest decisions, enough for a screen.</summary>
    private const int DecisionsKept = 30;

    private readonly Lock _gate = new();
    private readonly Queue<LiveDecision> _decisions = new();
    private PipelineSnapshot? _latest;
    private Pipeline? _pipeline;
    private Func<WorkersSummary>? _workers;

    public PipelinePlan Plan { get; } = plan;

    public PipelineSnapshot? Latest => Volatile.Read(ref _latest);

    public string? StopReason => Volatile.Read(ref _pipeline)?.StopReason;

    public IReadOnlyList<LiveDecision> Decisions
    {
        get
        {
            lock (_gate) return [.. _decisions];
        }
    }

    public LiveWorkers? Workers
    {
        get
        {
            if (Volatile.Read(ref _workers) is not { } summary) return null;
            var s = summary();
            return new LiveWorkers(s.Joined, s.Left, s.Died,
                [.. s.Workers.Select(w => new LiveWorker(w.Name, w.State, w.Events, w.BatchesSent, w.BatchesAcked, w.HeartbeatsMissed, w.Seconds))]);
        }
    }

    /// <summary>Each controller line as it is logged (the run report marks them on its time axis).</summary>
    public event Action<LiveDecision>? Decided;

    /// <summary>Follows <paramref name="pipeline"/>'s snapshots and, when given, the coordinator's worker processes.</summary>
    public void Attach(Pipeline pipeline, Func<WorkersSummary>? workers)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        Volatile.Write(ref _pipeline, pipeline);
        Volatile.Write(ref _workers, workers);
        pipeline.Sampled += s => Volatile.Write(ref _latest, s);
    }

    /// <summary>A writer for the run's log that passes every line on to <paramref name="inner"/> and keeps the controller's.</summary>
    public TextWriter Tap(TextWriter inner) => new LogTap(inner, this);

    /// <summary>Keeps a log line when it is the controller's ("HH:mm:ss.fff LEVEL [controller] MESSAGE").</summary>
    internal void OnLogLine(string line)
    {
        var m = ControllerLine().Match(line);
        if (!m.Success) return;
        var message = m.Groups["msg"].Value;
        var decision = new LiveDecision(m.Groups["time"].Value, m.Groups["level"].Value, message);
        if (WorkersChange().Match(message) is { Success: true } c)
        {
            decision = decision with
            {
                Stage = c.Groups["stage"].Value,
                From = int.Parse(c.Groups["from"].Value, System.Globalization.CultureInfo.InvariantCulture),
                To = int.Parse(c.Groups["to"].Value, System.Globalization.CultureInfo.InvariantCulture),
                Law = c.Groups["law"].Value,
                Reason = c.Groups["reason"].Value,
            };
        }

        lock (_gate)
        {
            _decisions.Enqueue(decision);
            while (_decisions.Count > DecisionsKept) _decisions.Dequeue();
        }

        Decided?.Invoke(decision);
    }

    [GeneratedRegex(@"^(?<time>\d\d:\d\d:\d\d\.\d+) (?<level>\w+) \[controller\] (?<msg>.*)$")]
    private static partial Regex ControllerLine();

    /// <summary>What the controller logs when it changes a stage's workers: "STAGE: workers A -> B (LAW: REASON; utilisation U)".</summary>
    [GeneratedRegex(@"^(?<stage>.+?): workers (?<from>\d+) -> (?<to>\d+) \((?<law>[^:]+): (?<reason>.*?)(; utilisation [\d.]+)?\)$")]
    private static partial Regex WorkersChange();

    /// <summary>Passes everything on; hands each whole line to the live view.</summary>
    private sealed class LogTap(TextWriter inner, LiveRun live) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            inner.Write(value);
            Collect(value);
        }

        public override void Write(string? value)
        {
            inner.Write(value);
            foreach (var c in value ?? "") Collect(c);
        }

        public override void WriteLine(string? value)
        {
            inner.WriteLine(value);
            foreach (var c in value ?? "") Collect(c);
            Collect('\n');
        }

        public override void Flush() => inner.Flush();

        // RunLog writes under its own lock, so the line buffer has one writer at a time.
        private void Collect(char c)
        {
            if (c == '\r') return;
            if (c != '\n')
            {
                _line.Append(c);
                return;
            }

            var line = _line.ToString();
            _line.Clear();
            live.OnLogLine(line);
        }
    }
}

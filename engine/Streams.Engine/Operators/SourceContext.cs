using Streams.Engine.Batches;

namespace Streams.Engine.Operators;

/// <summary>
/// Handed to a source: it grants event budget, emits batches into the pipeline (each event is accounted for from that
/// moment), and counts events a source had to discard before they could enter.
/// </summary>
public sealed class SourceContext
{
    private readonly ISourceHost _host;

    internal SourceContext(string stageName, RunLog log, ISourceHost host)
    {
        StageName = stageName;
        Log = log;
        _host = host;
    }

    public string StageName { get; }

    public RunLog Log { get; }

    /// <summary>The run's clock: a source that measures time (an idle stop, pacing) reads it, so that tests can drive it.</summary>
    public TimeProvider Time => _host.Time;

    /// <summary>True once intake has stopped (duration reached, Ctrl+C, SIGTERM, a fatal failure) or the event budget is spent.</summary>
    public bool IntakeStopped => _host.IntakeStopped;

    /// <summary>
    /// Asks to emit up to <paramref name="wanted"/> more events; returns how many may be emitted (0: stop, the run's
    /// event budget is spent or intake has stopped).
    /// </summary>
    public int TryReserve(int wanted) => _host.TryReserve(wanted);

    /// <summary>
    /// As <see cref="TryReserve"/>, but also after intake has stopped: for a source that must still take what is already
    /// on its way to it when the run stops (a receiver that has told its load balancer to stop sending, and takes the
    /// datagrams of events sent before the load balancer's next epoch). The event budget (<c>--events</c>) still holds.
    /// The run waits for such a source to return, so it must end its drain by itself.
    /// </summary>
    public int TryReserveDraining(int wanted) => _host.TryReserveDraining(wanted);

    /// <summary>Emits a batch built by the source, waiting while the next queue is full (backpressure).</summary>
    public ValueTask EmitAsync(EventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return _host.EmitAsync(batch);
    }

    /// <summary>
    /// Emits without waiting (for sources that cannot block, such as a UDP socket). When the next queue is full the
    /// batch is discarded and counted; returns false then.
    /// </summary>
    public bool TryEmit(EventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return _host.TryEmit(batch);
    }

    /// <summary>The source's own metrics, exported with the run's and labelled with the pipeline and the stage.</summary>
    public IOperatorMetrics Metrics => _host.OperatorMetrics;

    /// <summary>
    /// The prometheus-net factory behind <see cref="Metrics"/> (pipeline and stage labels applied), for Streams' own
    /// transports that publish labelled families. Internal, so that the operator contract does not expose prometheus-net.
    /// </summary>
    internal Prometheus.IMetricFactory MetricFactory => _host.Metrics;

    /// <summary>
    /// Adds a top-level section to the run summary, produced when the run ends. Several sources contributing the same
    /// key share it, so <paramref name="produce"/> should report them all.
    /// </summary>
    public void AddSummarySection(string key, Func<object> produce) => _host.AddSummarySection(key, produce);

    /// <summary>How full the fullest queue this source feeds is, 0..1 (the receiver's feedback signal).</summary>
    public double OutputFill => _host.OutputFill;

    /// <summary>Counts events the source received but had to drop before building a batch (for example on overload).</summary>
    public void Discard(int events)
    {
        if (events <= 0) return;
        _host.Discard(events);
    }
}

/// <summary>
/// The run behind a <see cref="SourceContext"/>: budget, queues, books and metrics. The engine's runtime implements it,
/// so that the operator contract does not depend on the runtime.
/// </summary>
internal interface ISourceHost
{
    bool IntakeStopped { get; }

    TimeProvider Time { get; }

    double OutputFill { get; }

    Prometheus.IMetricFactory Metrics { get; }

    IOperatorMetrics OperatorMetrics { get; }

    int TryReserve(int wanted);

    int TryReserveDraining(int wanted);

    ValueTask EmitAsync(EventBatch batch);

    bool TryEmit(EventBatch batch);

    void Discard(int events);

    void AddSummarySection(string key, Func<object> produce);
}

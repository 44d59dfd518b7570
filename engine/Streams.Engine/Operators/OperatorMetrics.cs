namespace Streams.Engine.Operators;

/// <summary>
/// Metrics a source publishes beside the engine's own, exported with the run's (Prometheus at /metrics) and labelled
/// with the pipeline and the stage. Name them <c>streams_&lt;source&gt;_...</c>; counters end in <c>_total</c>. Asking
/// twice for one name gives the same metric.
/// </summary>
public interface IOperatorMetrics
{
    /// <summary>A counter: it only goes up.</summary>
    IMetricCounter Counter(string name, string help);

    /// <summary>A gauge: a value that is set.</summary>
    IMetricGauge Gauge(string name, string help);
}

/// <summary>A counter of <see cref="IOperatorMetrics"/>.</summary>
public interface IMetricCounter
{
    /// <summary>Adds <paramref name="by"/> (not negative).</summary>
    void Inc(double by = 1);
}

/// <summary>A gauge of <see cref="IOperatorMetrics"/>.</summary>
public interface IMetricGauge
{
    void SetTo(double value);
}

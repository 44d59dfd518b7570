using Prometheus;
using Streams.Engine.Operators;

namespace Streams.Engine.Metrics;

/// <summary>The operator contract's metrics (<see cref="IOperatorMetrics"/>) on a prometheus-net factory with the stage's labels applied.</summary>
internal sealed class PrometheusOperatorMetrics(IMetricFactory factory) : IOperatorMetrics
{
    public IMetricCounter Counter(string name, string help) => new CounterOf(factory.CreateCounter(name, help));

    public IMetricGauge Gauge(string name, string help) => new GaugeOf(factory.CreateGauge(name, help));

    private sealed class CounterOf(Counter counter) : IMetricCounter
    {
        public void Inc(double by = 1) => counter.Inc(by);
    }

    private sealed class GaugeOf(Gauge gauge) : IMetricGauge
    {
        public void SetTo(double value) => gauge.Set(value);
    }
}

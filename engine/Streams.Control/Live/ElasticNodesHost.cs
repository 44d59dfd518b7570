using System.Globalization;
using Streams.Control.Laws;
using Streams.Control.Nodes;
using Streams.Engine.Metrics;
using Streams.Engine.Operators;

namespace Streams.Control.Live;

/// <summary>
/// The controller of a control process that owns no data (<c>control.node-pipeline</c>): node pipelines receive their
/// share of the stream straight from a load balancer, and this sizes their number. Every interval on its
/// <see cref="TimeProvider"/> it reads the pool (the load balancer's Status and the nodes'
/// metrics), measures it (<see cref="NodePoolMeter"/>), and the same laws and node bookkeeping as a pipeline's
/// controller (<see cref="StageControl"/>, <see cref="NodeStepper"/>) request node pipelines from the provider and
/// release them with drain (SIGTERM: a node deregisters, takes what is still on its way, finishes and exits).
/// </summary>
public sealed class ElasticNodesHost : IDisposable
{
    private readonly ControllerSettings _settings;
    private readonly Func<CancellationToken, Task<PoolReading>> _read;
    private readonly TimeProvider _time;
    private readonly ControlPublisher _publish;
    private readonly NodeStepper _stepper;
    private readonly NodePoolMeter _meter;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private Task _step = Task.CompletedTask;
    private double _lastReadError = double.NegativeInfinity;
    private long _ticks;

    /// <param name="settings">The control section (<see cref="ControllerSettings.ForNodePipelines"/>).</param>
    /// <param name="nodes">Where node pipelines come from.</param>
    /// <param name="read">Reads the pool now.</param>
    /// <param name="registry">Where the controller's metrics go.</param>
    /// <param name="log">The run's log.</param>
    /// <param name="time">The loop's clock.</param>
    public ElasticNodesHost(ControllerSettings settings, INodeProvider nodes, Func<CancellationToken, Task<PoolReading>> read, MetricsRegistry registry, RunLog log, TimeProvider? time = null)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        var ns = settings.Nodes ?? throw new ArgumentException("the settings name no node provider", nameof(settings));
        ArgumentNullException.ThrowIfNull(nodes);
        _read = read ?? throw new ArgumentNullException(nameof(read));
        _time = time ?? TimeProvider.System;
        Stage = settings.Stages[0];
        _publish = new ControlPublisher(registry, Stage, log, settings.Record);
        _stepper = new NodeStepper(nodes, _publish, _time);
        _meter = new NodePoolMeter(ns.ServiceRate, ns.Cores);
        var bounds = new ControlBounds(ns.MinNodes * ns.Cores, ns.MaxNodes * ns.Cores);
        Control = new StageControl(Stage, ControlLaws.Create(settings.Law, bounds, settings.Parameters), CapacityShape.Nodes(ns.Cores, ns.MinNodes, ns.MaxNodes));
        _publish.Info(string.Create(CultureInfo.InvariantCulture, $"law {settings.Law} every {settings.IntervalSeconds:0.##} s on the nodes running {Stage} ({nodes.Name}, {ns.MinNodes}-{ns.MaxNodes} nodes of {ns.Cores} cores)"));
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>The name the nodes are controlled under (the node pipeline's).</summary>
    public string Stage { get; }

    /// <summary>The decision and node bookkeeping.</summary>
    public StageControl Control { get; }

    /// <summary>The last reading of the pool; null before the first.</summary>
    public PoolReading? Latest { get; private set; }

    /// <summary>Ticks taken so far.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>The summary's <c>"nodes"</c> section.</summary>
    public NodesSummary Summary()
    {
        var b = Control.Nodes;
        return new NodesSummary(_stepper.Nodes.Name, b.Requested, b.Joined, b.Released, b.Failed);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_settings.IntervalSeconds), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var running = !_step.IsCompleted;
                _stepper.PublishWaiting(running);
                if (!running) _step = Task.Run(() => StepAsync(stop), CancellationToken.None);
                Interlocked.Increment(ref _ticks);
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    private async Task StepAsync(CancellationToken cancel)
    {
        try
        {
            PoolReading reading;
            try
            {
                reading = await _read(cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The load balancer cannot be asked: nothing is measured, nothing changes; said now and then.
                var now = _time.GetTimestamp() / (double)_time.TimestampFrequency;
                if (now - _lastReadError >= 30)
                {
                    _lastReadError = now;
                    _publish.Warn($"cannot read the node pool (load balancer status): {e.Message.Split('\n')[0]}; holding, logged every 30 s");
                }

                return;
            }

            Latest = reading;
            await _stepper.StepAsync(Control, (pending, age) => _meter.Observe(reading, pending, age), () => _meter.Rebase(reading), cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _publish.Warn($"node step failed: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Stops deciding, then releases every node with drain and waits until the provider lists none alive (or
    /// <paramref name="limit"/> passes); returns the nodes still alive then.
    /// </summary>
    public async Task<int> DrainAllAsync(TimeSpan limit, CancellationToken cancel = default)
    {
        await StopLoopAsync().ConfigureAwait(false);
        var nodes = _stepper.Nodes;
        var deadline = _time.GetUtcNow() + limit;
        var released = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            IReadOnlyList<NodeInfo> pool;
            try
            {
                pool = await nodes.ListAsync(cancel).ConfigureAwait(false);
                _ = Control.Nodes.Observe(pool);
            }
            catch (Exception e) when (NodeStepper.IsProviderError(e))
            {
                _publish.Warn($"cannot list the nodes while draining them: {e.Message.Split('\n')[0]}");
                pool = Control.Nodes.Pool;
            }

            var alive = pool.Where(n => n.State is NodeState.Booting or NodeState.Ready or NodeState.Draining).ToList();
            if (alive.Count == 0) return 0;
            if (_time.GetUtcNow() >= deadline) return alive.Count;
            // A node the law released drains already: a second SIGTERM would abort it.
            foreach (var n in alive.Where(n => !Control.Nodes.IsReleasing(n.Id) && released.Add(n.Id)))
            {
                try
                {
                    await nodes.ReleaseAsync(n.Id, drain: true, cancel).ConfigureAwait(false);
                    if (Control.Nodes.OnReleasing(n.Id)) _publish.Info($"{Stage}: releasing node {n.Id} with drain (the control process stops)");
                }
                catch (Exception e) when (NodeStepper.IsProviderError(e))
                {
                    _publish.Warn($"{Stage}: cannot release node {n.Id}: {e.Message.Split('\n')[0]}");
                    released.Remove(n.Id);
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), _time, cancel).ConfigureAwait(false);
        }
    }

    private async Task StopLoopAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_run, _step).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // ended by the cancellation
        }
    }

    public void Dispose()
    {
        try
        {
            StopLoopAsync().Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // ended by the cancellation
        }

        _publish.Dispose();
        _stop.Dispose();
    }
}

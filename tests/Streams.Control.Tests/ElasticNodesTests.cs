using Microsoft.Extensions.Time.Testing;
using Streams.Control.Live;
using Streams.Control.Nodes;
using Streams.Engine.Metrics;
using Streams.Engine.Operators;
using Streams.Engine.Spec;
using Streams.TestKit;

namespace Streams.Control.Tests;

/// <summary>
/// The control process of node pipelines behind a load balancer: measurement of the pool (<see cref="NodePoolMeter"/>)
/// and the loop (<see cref="ElasticNodesHost"/>) on a fake clock, against a simulated pool whose queue follows the
/// arrivals and the nodes that serve.
/// </summary>
public sealed class ElasticNodesTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly StringWriter _log = new();

    public void Dispose() => _dir.Dispose();

    private static MemberReading M(string name, long done, long waiting, int slots = 256, double fill = 0.2, bool ready = true) =>
        new(name, ready, slots, fill, done + waiting, done + waiting, waiting, done);

    [Fact]
    public void The_meter_sums_what_each_member_did_so_a_node_that_joins_does_not_jump_the_books()
    {
        var meter = new NodePoolMeter(priorServiceRate: 500, coresPerNode: 2);
        Assert.Null(meter.Observe(new PoolReading(10, [M("a", 1000, 400)]), 0, 0)); // the baseline
        // Over 2 s: a did 2000 more, b joined and did 600; 300 more wait in all.
        var o = meter.Observe(new PoolReading(12, [M("a", 3000, 500), M("b", 600, 200)]), pendingServers: 2, pendingAgeSeconds: 1.5)!.Value;
        Assert.Equal(2, o.Interval);
        Assert.Equal(700, o.Queue);
        Assert.Equal((2600 + 300) / 2.0, o.ArrivalRate);
        Assert.Equal(4, o.Ready); // two nodes serving, of two cores each
        Assert.Equal(2600 / (4 * 2.0), o.ServiceRate); // saturated (their receivers' queues fill): what they did
        Assert.Equal(2, o.Pending);
        Assert.Equal(1.5, o.PendingAge);
    }

    [Fact]
    public void A_pool_that_is_not_saturated_keeps_the_prior_service_rate_and_a_member_without_slots_does_not_serve()
    {
        var meter = new NodePoolMeter(priorServiceRate: 500, coresPerNode: 1);
        meter.Observe(new PoolReading(0, [M("a", 0, 0, fill: 0)]), 0, 0);
        var o = meter.Observe(new PoolReading(1, [M("a", 100, 0, fill: 0), M("b", 0, 0, slots: 0, fill: 0)]), 0, 0)!.Value;
        Assert.Equal(500, o.ServiceRate);
        Assert.Equal(1, o.Ready);
        Assert.Equal(100 / 500.0, o.Utilisation, 9);
        // Without its metrics a node's waiting events are what its receiver took and did not hand on.
        Assert.Equal(30, new MemberReading("c", true, 10, 0, Received: 130, Dequeued: 100).Waiting);
        Assert.Equal(100, new MemberReading("c", true, 10, 0, Received: 130, Dequeued: 100).Done);
    }

    [Fact]
    public async Task The_loop_asks_for_a_node_when_the_queue_grows_releases_one_with_drain_when_the_load_falls_and_drains_the_rest_once_at_the_end()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var pool = new SimulatedPool(time, perNode: 1000) { Arrivals = 1600 };
        using var host = new ElasticNodesHost(Settings(), pool, pool.ReadAsync, MetricsRegistry.CreatePrivate(), new RunLog(_log), time);

        // min-nodes 1, then a second one for 1600 events/s against 1000 a node.
        await Run(time, () => pool.Serving == 2, "two nodes serve");
        Assert.Equal(2, pool.Requested);
        Assert.Contains("requested node n2", _log.ToString(), StringComparison.Ordinal);

        pool.Arrivals = 200;
        await Run(time, () => pool.Drains.Count == 1, "one node released with drain");
        Assert.Equal(1, pool.Serving);
        Assert.Contains("with drain (queue-model", _log.ToString(), StringComparison.Ordinal);

        // At the end every node still alive is released once, with drain; the one that drains already is not signalled again.
        var drained = host.DrainAllAsync(TimeSpan.FromSeconds(30));
        await Eventually.Until(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            return drained.IsCompleted;
        }, "every node drains");
        Assert.Equal(0, await drained);
        Assert.Equal(2, pool.Drains.Count);
        Assert.Equal(2, pool.Drains.Distinct().Count());
        Assert.Equal(new NodesSummary("simulated", 2, 2, 2, 0), host.Summary());
    }

    [Fact]
    public async Task A_load_balancer_that_cannot_be_asked_changes_nothing_and_is_reported_once()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var pool = new SimulatedPool(time, perNode: 1000) { Arrivals = 0 };
        using var host = new ElasticNodesHost(Settings(), pool, _ => throw new HttpRequestException("connection refused"), MetricsRegistry.CreatePrivate(), new RunLog(_log), time);
        await Run(time, () => host.Ticks >= 10, "ten ticks");

        await Eventually.Until(() => _log.ToString().Contains("cannot read the node pool", StringComparison.Ordinal), "the failure is reported");
        Assert.Equal(0, pool.Requested);
        Assert.Single(_log.ToString().Split('\n'), l => l.Contains("cannot read the node pool", StringComparison.Ordinal));
    }

    /// <summary>Advances the clock a second at a time until <paramref name="done"/>.</summary>
    private static Task Run(FakeTimeProvider time, Func<bool> done, string what) => Eventually.Until(() =>
    {
        time.Advance(TimeSpan.FromSeconds(1));
        return done();
    }, what);

    private ControllerSettings Settings()
    {
        var node = Path.Combine(_dir.Path, "node.yaml");
        File.WriteAllText(node, "name: node\n");
        var control = Path.Combine(_dir.Path, "elastic.yaml");
        var loaded = PipelineLoader.Load("""
            name: elastic
            control:
              law: queue-model
              interval: 1
              node-pipeline: node.yaml
              node-provider: local
              node-cores: 1
              min-nodes: 1
              max-nodes: 2
              service-rate: 1000
              queue-target: 300
              boot-seconds: 2
              min-lifetime: 2
              down-window: 3
              smoothing-seconds: 2
            """, control);
        Assert.True(loaded.Ok, string.Join("\n", loaded.Diagnostics));
        Assert.True(loaded.Spec!.IsControlOnly);
        return ControllerSettings.ForNodePipelines(loaded.Spec);
    }

    /// <summary>
    /// Nodes that serve as soon as they are asked for, each 1000 events/s; the queue in front of them follows the
    /// arrivals on the fake clock. Draining nodes take no new events and are gone at the next listing.
    /// </summary>
    private sealed class SimulatedPool(FakeTimeProvider time, double perNode) : INodeProvider
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, (NodeState State, double Done)> _nodes = [];
        private DateTimeOffset _last = time.GetUtcNow();
        private double _queue;

        public double Arrivals { get; set; }

        public int Requested { get; private set; }

        public List<string> Drains { get; } = [];

        public int Serving
        {
            get
            {
                lock (_gate) return _nodes.Values.Count(n => n.State == NodeState.Ready);
            }
        }

        public string Name => "simulated";

        public int CoresPerNode => 1;

        public Task<string> RequestAsync(CancellationToken cancel = default)
        {
            lock (_gate)
            {
                var id = $"n{++Requested}";
                _nodes[id] = (NodeState.Ready, 0);
                return Task.FromResult(id);
            }
        }

        public Task ReleaseAsync(string id, bool drain, CancellationToken cancel = default)
        {
            lock (_gate)
            {
                Drains.Add(id);
                _nodes[id] = (NodeState.Draining, _nodes[id].Done);
                return Task.CompletedTask;
            }
        }

        public Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancel = default)
        {
            lock (_gate)
            {
                var list = _nodes.Select(kv => new NodeInfo(kv.Key, kv.Value.State == NodeState.Draining && Drains.Contains(kv.Key) && _drainSeen.Contains(kv.Key) ? NodeState.Gone : kv.Value.State, 1, DateTimeOffset.UnixEpoch)).ToList();
                foreach (var n in list.Where(n => n.State == NodeState.Gone)) _nodes.Remove(n.Id);
                foreach (var n in list.Where(n => n.State == NodeState.Draining)) _drainSeen.Add(n.Id);
                return Task.FromResult<IReadOnlyList<NodeInfo>>(list);
            }
        }

        private readonly HashSet<string> _drainSeen = [];

        public Task<PoolReading> ReadAsync(CancellationToken cancel)
        {
            lock (_gate)
            {
                var now = time.GetUtcNow();
                var dt = (now - _last).TotalSeconds;
                _last = now;
                var serving = _nodes.Where(kv => kv.Value.State == NodeState.Ready).Select(kv => kv.Key).ToList();
                _queue += Arrivals * dt;
                var served = Math.Min(_queue, serving.Count * perNode * dt);
                _queue -= served;
                foreach (var id in serving) _nodes[id] = (NodeState.Ready, _nodes[id].Done + (served / serving.Count));
                var fill = Math.Min(1, _queue / 4000);
                var members = serving.Select(id => new MemberReading(id, true, 512 / serving.Count, fill, (long)_nodes[id].Done, (long)_nodes[id].Done, (long)(_queue / serving.Count), (long)_nodes[id].Done)).ToList();
                return Task.FromResult(new PoolReading((now - DateTimeOffset.UnixEpoch).TotalSeconds, members));
            }
        }
    }
}

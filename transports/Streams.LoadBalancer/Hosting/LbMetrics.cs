using Prometheus;
using Streams.LoadBalancer.Instances;

namespace Streams.LoadBalancer.Hosting;

/// <summary>
/// The load balancer's Prometheus metrics, read from the registry at each scrape: per member its slots, fill, control
/// signal, datagrams and bytes forwarded; per instance the drops by reason, the epoch and the datagrams received.
/// </summary>
internal sealed class LbMetrics
{
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();

    public LbMetrics(LbRegistry lb)
    {
        var f = Prometheus.Metrics.WithCustomRegistry(_registry);
        var slots = f.CreateGauge("streams_lb_member_slots", "Calendar slots the member has in the newest epoch (of 512).", "lb", "member");
        var fill = f.CreateGauge("streams_lb_member_fill", "Fill of the member's queue, from its last SendState (0..1).", "lb", "member");
        var signal = f.CreateGauge("streams_lb_member_control_signal", "The member's last control signal.", "lb", "member");
        var packets = f.CreateGauge("streams_lb_member_forwarded_packets_total", "Datagrams forwarded to the member.", "lb", "member");
        var bytes = f.CreateGauge("streams_lb_member_forwarded_bytes_total", "Bytes forwarded to the member.", "lb", "member");
        var drops = f.CreateGauge("streams_lb_dropped_packets_total", "Datagrams the data plane dropped, by reason.", "lb", "reason");
        var received = f.CreateGauge("streams_lb_received_packets_total", "Datagrams the data plane received.", "lb");
        var epoch = f.CreateGauge("streams_lb_epoch", "The number of the newest epoch (calendar).", "lb");
        var members = f.CreateGauge("streams_lb_members", "Registered members.", "lb");
        var shown = new HashSet<(string Lb, string Member)>();
        _registry.AddBeforeCollectCallback(() =>
        {
            var now = new HashSet<(string, string)>();
            foreach (var (instance, data) in lb.All)
            {
                var id = instance.Id;
                foreach (var s in instance.Sessions)
                {
                    var m = $"{s.Name}#{s.Id}";
                    now.Add((id, m));
                    slots.WithLabels(id, m).Set(s.Slots);
                    fill.WithLabels(id, m).Set(s.LastReport?.Fill ?? 0);
                    signal.WithLabels(id, m).Set(s.LastReport?.ControlSignal ?? 0);
                    packets.WithLabels(id, m).Set(Volatile.Read(ref s.Counters.Packets));
                    bytes.WithLabels(id, m).Set(Volatile.Read(ref s.Counters.Bytes));
                }

                var d = data.Drops;
                drops.WithLabels(id, "sender_not_allowed").Set(Volatile.Read(ref d.SenderNotAllowed));
                drops.WithLabels(id, "bad_header").Set(Volatile.Read(ref d.BadHeader));
                drops.WithLabels(id, "no_epoch").Set(Volatile.Read(ref d.NoEpoch));
                drops.WithLabels(id, "no_member").Set(Volatile.Read(ref d.NoMember));
                received.WithLabels(id).Set(data.Received);
                epoch.WithLabels(id).Set(instance.CurrentEpoch);
                members.WithLabels(id).Set(instance.Sessions.Count);
            }

            // A member that left is no longer exported (its last values would otherwise stay for ever).
            foreach (var (id, m) in shown.Except(now))
            {
                foreach (var g in new[] { slots, fill, signal, packets, bytes }) g.RemoveLabelled(id, m);
            }

            shown.Clear();
            shown.UnionWith(now);
        });
    }

    public Task ExportAsync(Stream destination, CancellationToken ct) => _registry.CollectAndExportAsTextAsync(destination, ct);
}

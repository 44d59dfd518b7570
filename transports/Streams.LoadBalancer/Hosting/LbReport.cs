using System.Text.Json;
using Streams.LoadBalancer.Instances;

namespace Streams.LoadBalancer.Hosting;

/// <summary>
/// The load balancer's books of a run (<c>streams lb --summary-json</c>), per instance: the events each sender sent
/// (from its Sync packets: first..last event number, the last one sent when it stopped), the datagrams received and
/// dropped by reason, and per member (those still registered and those that left) the datagrams forwarded and the
/// counters it last reported: events received, reassembled, lost in reassembly, lost to a full queue. So that events
/// sent = reassembled by the members + lost by reason can be checked across every process from one file.
/// </summary>
internal static class LbReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static object Build(LbRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return new
        {
            at = registry.Time.GetUtcNow(),
            instances = registry.All.Select(x => Instance(x.Instance, x.Data)).ToList(),
        };
    }

    private static object Instance(LbInstance instance, IDataPlane data)
    {
        var members = instance.Sessions.Concat(instance.EndedSessions).OrderBy(s => s.Id).ToList();
        var senders = instance.SyncSources.Select(s => new
        {
            source = s.Source.ToString(),
            sourceId = s.SourceId,
            firstEvent = s.First,
            lastEvent = s.Last,
            events = s.Last - s.First + 1,
            syncPackets = s.Packets,
            rateHz = s.RateHz,
        }).ToList();
        var d = data.Drops;
        long Sum(Func<MemberReport, long> f) => members.Sum(m => m.LastReport is { } r ? f(r) : 0);
        var sent = senders.Sum(s => (long)s.events);
        var reassembled = Sum(r => r.EventsReassembled);
        var reassemblyErrors = Sum(r => r.EventsReassemblyErrors);
        var queueFull = Sum(r => r.EventEnqueueErrors);
        return new
        {
            id = instance.Id,
            name = instance.Name,
            epoch = instance.CurrentEpoch,
            senders,
            datagrams = new
            {
                received = data.Received,
                dropped = new { senderNotAllowed = d.SenderNotAllowed, badHeader = d.BadHeader, noEpoch = d.NoEpoch, noMember = d.NoMember },
                forwarded = members.Sum(m => Volatile.Read(ref m.Counters.Packets)),
            },
            members = members.Select(m => new
            {
                name = m.Name,
                session = m.Id,
                address = $"{m.Address}:{m.BasePort}",
                state = m.Ended ?? "registered",
                registeredAt = m.RegisteredAt,
                endedAt = m.EndedAt,
                slots = m.Ended is null ? m.Slots : 0,
                forwardedPackets = Volatile.Read(ref m.Counters.Packets),
                forwardedBytes = Volatile.Read(ref m.Counters.Bytes),
                reported = m.LastReport is { } r
                    ? new { eventsReceived = r.EventsReceived, eventsReassembled = r.EventsReassembled, eventsReassemblyErrors = r.EventsReassemblyErrors, eventsDequeued = r.EventsDequeued, eventEnqueueErrors = r.EventEnqueueErrors, packets = r.PacketsReceived, bytes = r.BytesReceived, at = r.At }
                    : null,
            }).ToList(),
            // The books from this file alone: events the senders' Sync packets announce against what members reported.
            books = new
            {
                eventsSent = sent,
                eventsReassembledByMembers = reassembled,
                lostInReassembly = reassemblyErrors,
                lostQueueFull = queueFull,
                unaccounted = sent - reassembled - reassemblyErrors,
            },
        };
    }

    /// <summary>The report as indented JSON.</summary>
    public static string ToJson(LbRegistry registry) => JsonSerializer.Serialize(Build(registry), Indented);
}

using System.Net;
using Streams.LoadBalancer.Forwarding;

namespace Streams.LoadBalancer.Instances;

/// <summary>The last SendState of a member: its queue, its control signal and the seven E2SAR counters.</summary>
internal readonly record struct MemberReport(
    DateTimeOffset At,
    double Fill,
    double ControlSignal,
    bool IsReady,
    long EventsReceived,
    long EventsReassembled,
    long EventsReassemblyErrors,
    long EventsDequeued,
    long EventEnqueueErrors,
    long BytesReceived,
    long PacketsReceived);

/// <summary>
/// A registered receiver (a member of one load balancer instance), from Register to Deregister or until it has been
/// silent for the session timeout. Its <see cref="Member"/> index is what the calendars name; the index stays reserved
/// while an epoch still in force names it, so that the datagrams of events before the boundary still find its address.
/// Guarded by its instance's lock.
/// </summary>
internal sealed class Session
{
    public required long Id { get; init; }

    public required string Token { get; init; }

    public required string Name { get; init; }

    public required int Member { get; init; }

    public required IPAddress Address { get; init; }

    public required int BasePort { get; init; }

    public required int PortRangeBits { get; init; }

    public required double MinFactor { get; init; }

    public required double MaxFactor { get; init; }

    public required bool KeepLbHeader { get; init; }

    public required DateTimeOffset RegisteredAt { get; init; }

    /// <summary>The weight it registered with, relative to its peers (1: as much as the average member).</summary>
    public required double RegisteredWeight { get; init; }

    /// <summary>The weight the control loop carries from second to second (set when it is first ready: see <see cref="LbInstance"/>).</summary>
    public double Weight { get; set; }

    /// <summary>It has been ready at a control step (its weight is on the peers' scale).</summary>
    public bool Seated { get; set; }

    public MemberReport? LastReport { get; set; }

    /// <summary>Slots it has in the newest calendar.</summary>
    public int Slots { get; set; }

    /// <summary>It asked to leave: it gets no slots in any new calendar, and is gone once no calendar names it.</summary>
    public bool Leaving { get; set; }

    public MemberCounters Counters { get; } = new();

    /// <summary>How its session ended ('deregistered', 'expired'), or null while it lasts.</summary>
    public string? Ended { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>When it last told its state (its registration until it has).</summary>
    public DateTimeOffset LastHeard => LastReport?.At ?? RegisteredAt;

    /// <summary>Whether it may get slots at <paramref name="now"/>: it said it is ready within <paramref name="staleAfter"/> and is not leaving.</summary>
    public bool IsReady(DateTimeOffset now, TimeSpan staleAfter) =>
        !Leaving && LastReport is { IsReady: true } r && now - r.At <= staleAfter;
}

namespace Streams.Engine.Batches;

/// <summary>Per-event metadata carried beside the payload (the fields EJFAT puts in its RE/LB headers).</summary>
/// <param name="EventNumber">Event number assigned by the source (EJFAT eventNum).</param>
/// <param name="DataId">Identifies the data source or stream (EJFAT dataId).</param>
/// <param name="Tick">Load-balancer tick (EJFAT tick); synthetic sources use the event number.</param>
/// <param name="ArrivalTimestamp">When the event entered the pipeline, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</param>
public readonly record struct EventMeta(ulong EventNumber, ushort DataId, ulong Tick, long ArrivalTimestamp);

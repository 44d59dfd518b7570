using Apache.Arrow;
using Apache.Arrow.Types;

namespace Streams.Transports.Files;

/// <summary>
/// The Arrow layout of events on disk: per-event metadata columns, then either a <c>payload</c> binary column (raw
/// events) or the columns of the operator's own Arrow payload. The batch data type is stored in the schema metadata.
/// </summary>
public static class EventColumns
{
    public const string EventNumber = "event_number";
    public const string DataId = "data_id";
    public const string Tick = "tick";
    public const string ArrivalNs = "arrival_ns";
    public const string Payload = "payload";

    /// <summary>Schema metadata key holding the Streams data type of the events.</summary>
    public const string DataTypeKey = "streams.data-type";

    public static readonly Field[] MetaFields =
    [
        new(EventNumber, UInt64Type.Default, false),
        new(DataId, UInt16Type.Default, false),
        new(Tick, UInt64Type.Default, false),
        new(ArrivalNs, Int64Type.Default, false),
    ];

    public static bool IsMetaColumn(string name) => name is EventNumber or DataId or Tick or ArrivalNs;
}

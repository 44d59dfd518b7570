using System.Text.Json;
using System.Text.Json.Serialization;

namespace Streams.Engine.Runtime;

/// <summary>The books of a finished run: <c>received = processed + failed + discarded + inFlight</c>.</summary>
public sealed record EventTotals(long Received, long Processed, long Failed, long Discarded, long InFlight)
{
    /// <summary>True when every received event ended as processed, failed or discarded.</summary>
    [JsonIgnore]
    public bool Balanced => InFlight == 0 && Received == Processed + Failed + Discarded;
}

/// <summary>One stage at the end of a run.</summary>
public sealed record StageSummary(string Name, string Kind, long EventsIn, long EventsOut, long Failed, long Discarded, int MaxWorkers);

/// <summary>
/// What a run did, written by <c>streams run --summary-json FILE</c>: totals, per-stage counts, why it ended, and the
/// distinct failures with how many events each hit.
/// </summary>
public sealed record PipelineSummary(
    string Pipeline,
    double DurationSeconds,
    string ExitReason,
    EventTotals Events,
    IReadOnlyList<StageSummary> Stages,
    IReadOnlyList<FailureRecord> Errors)
{
    /// <summary>Extra top-level sections contributed by operators (for example <c>"ejfat"</c>), written as they are.</summary>
    [JsonExtensionData]
    public Dictionary<string, object>? Sections { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static PipelineSummary FromJson(string json) =>
        JsonSerializer.Deserialize<PipelineSummary>(json, Json) ?? throw new JsonException("empty summary");
}

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
public sealed record StageSummary(string Name, string Kind, long EventsIn, long EventsOut, long Failed, long Discarded, int MaxWorkers)
{
    /// <summary>The stage's operator (<c>ejfat-receiver</c>, say).</summary>
    public string? Operator { get; init; }
}

/// <summary>
/// What a run did, written by <c>streams run --summary-json FILE</c>: whether it did its job (<see cref="Ok"/>, the
/// exit status and its one-line reason in <see cref="ExitReason"/>), why intake stopped, totals, per-stage counts, the
/// distinct failures with how many events each hit, and outputs or sources that failed.
/// </summary>
public sealed record PipelineSummary(
    string Pipeline,
    double DurationSeconds,
    string ExitReason,
    EventTotals Events,
    IReadOnlyList<StageSummary> Stages,
    IReadOnlyList<FailureRecord> Errors)
{
    /// <summary>True when the run did its job (exit status 0); see <see cref="RunVerdict.Decide"/>.</summary>
    public bool Ok { get; init; } = true;

    /// <summary>The exit status of <c>streams run</c> for this run (<see cref="ExitCodes"/>).</summary>
    public int ExitCode { get; init; }

    /// <summary>Why intake stopped (end of input, a limit, a signal, a fatal failure); <see cref="ExitReason"/> is the verdict.</summary>
    public string? StopReason { get; init; }

    /// <summary>Outputs that could not be written, per stage and message (empty when all were).</summary>
    public IReadOnlyList<OutputFailure> OutputFailures { get; init; } = [];

    /// <summary>Sources that could not start or failed.</summary>
    public IReadOnlyList<SourceFailure> SourceFailures { get; init; } = [];

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

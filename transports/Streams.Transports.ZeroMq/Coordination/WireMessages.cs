namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// The pure parsers of the coordinator-worker messages' frames (no socket, no state), as the coordinator and the
/// worker call them. A malformed frame throws <see cref="FormatException"/>, <see cref="System.Text.Json.JsonException"/>
/// or <see cref="Framing.FrameException"/>, nothing else; the fuzz harness (tests/fuzz) holds them to that.
/// </summary>
public static class WireMessages
{
    /// <summary>HELLO's JSON frame.</summary>
    public static WorkerHello ReadHello(ReadOnlySpan<byte> frame) => Protocol.FromJson<WorkerHello>(frame);

    /// <summary>WELCOME's JSON frame; JSON nulls where the worker needs values (stages, their names and configuration) are malformed.</summary>
    public static Welcome ReadWelcome(ReadOnlySpan<byte> frame)
    {
        var welcome = Protocol.FromJson<Welcome>(frame);
        if (welcome.Stages is null) throw new FormatException("WELCOME without stages");
        foreach (var s in welcome.Stages)
        {
            if (s is null || s.Stage is null || s.Operator is null || s.Config is null) throw new FormatException("WELCOME with a stage lacking its name, operator or configuration");
            if (s.Config.Values.Any(v => v is null)) throw new FormatException($"WELCOME with a null configuration value in stage '{s.Stage}'");
        }

        return welcome;
    }

    /// <summary>RESULT's failures frame (empty: none); a null entry, a null message or an unknown severity is malformed.</summary>
    public static List<WireFailure> ReadFailures(ReadOnlySpan<byte> frame)
    {
        if (frame.Length == 0) return [];
        var failures = Protocol.FromJson<List<WireFailure>>(frame);
        foreach (var f in failures)
        {
            if (f is null || f.Message is null || !Enum.IsDefined(f.Severity)) throw new FormatException("RESULT with a failure lacking its message or with an unknown severity");
        }

        return failures;
    }
}

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

    /// <summary>WELCOME's JSON frame.</summary>
    public static Welcome ReadWelcome(ReadOnlySpan<byte> frame) => Protocol.FromJson<Welcome>(frame);

    /// <summary>RESULT's failures frame (empty: none).</summary>
    public static List<WireFailure> ReadFailures(ReadOnlySpan<byte> frame) => frame.Length == 0 ? [] : Protocol.FromJson<List<WireFailure>>(frame);
}

using System.Text;
using NetMQ;
using Streams.Engine.Operators;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>HELLO: a worker process asks to join (with a proof of its CURVE key, or none).</summary>
public sealed record HelloMessage(WorkerHello Hello, byte[] Proof);

/// <summary>WORK: one batch of <paramref name="Stage"/> to process (the frames as they came: header, meta, payload).</summary>
public sealed record WorkMessage(string Stage, BatchHeader Header, byte[] HeaderFrame, byte[] Meta, byte[] Payload);

/// <summary>What a RESULT says once read: the output's frames, the input index of each output event, the failed events.</summary>
public sealed record ResultContent(BatchHeader Header, byte[] Meta, byte[] Payload, int[] Kept, IReadOnlyList<WireFailure> Failures);

/// <summary>
/// A RESULT on its way from a worker process: the message, and the pooled output encoding its payload frame was
/// written from. Dispose it once sent (or dropped): the encoding goes back to its pool then, once.
/// </summary>
public sealed class OutgoingResult(NetMQMessage message, EncodedBatch? output) : IDisposable
{
    public NetMQMessage Message { get; } = message;

    public void Dispose() => output?.Dispose();
}

/// <summary>
/// The coordinator-worker protocol (<see cref="Protocol.Version"/>), every message encoded and decoded here and
/// nowhere else: the coordinator and the worker process are socket loops around it. The frames of each command are
/// listed in <see cref="Protocol"/>. The readers are pure (no socket, no state): a malformed frame throws
/// <see cref="FormatException"/>, <see cref="System.Text.Json.JsonException"/> or <see cref="FrameException"/>,
/// nothing else; the fuzz harness (tests/fuzz) holds them to that.
/// </summary>
public static class WorkerProtocol
{
    /// <summary>The command a frame names, or null when it is not one of the protocol's.</summary>
    public static string? CommandOf(NetMQFrame frame) =>
        frame.BufferSize is > 0 and <= 8 && Protocol.Commands.Contains(frame.ConvertToString()) ? frame.ConvertToString() : null;

    // ---- worker -> coordinator (frames after the ROUTER's identity frame) ----

    public static void SendHello(IOutgoingSocket socket, WorkerHello hello, byte[] proof) =>
        socket.SendMoreFrame(Protocol.Hello).SendMoreFrame(Protocol.ToJson(hello)).SendFrame(proof);

    /// <summary>HELLO [json WorkerHello] [proof], from frame <paramref name="at"/> on.</summary>
    public static HelloMessage ReadHello(NetMQMessage msg, int at)
    {
        Need(msg, at + 2, "HELLO");
        return new HelloMessage(ReadHello(msg[at + 1].Buffer), msg.FrameCount > at + 2 ? msg[at + 2].Buffer : []);
    }

    /// <summary>HELLO's JSON frame.</summary>
    public static WorkerHello ReadHello(ReadOnlySpan<byte> frame) => Protocol.FromJson<WorkerHello>(frame);

    public static void SendCredit(IOutgoingSocket socket, CreditGrant grant)
    {
        var f = Protocol.CreditFrames(grant.Stage, grant.Batches, grant.Threads ?? 0);
        socket.SendMoreFrame(Protocol.Credit).SendMoreFrame(f[0]).SendMoreFrame(f[1]).SendFrame(f[2]);
    }

    /// <summary>CREDIT [stage] [u32 n] [u32 threads], from frame <paramref name="at"/> on.</summary>
    public static CreditGrant ReadCredit(NetMQMessage msg, int at)
    {
        Need(msg, at + 3, "CREDIT");
        return Protocol.ReadCredit(msg[at + 1].Buffer, msg[at + 2].Buffer, msg.FrameCount > at + 3 ? msg[at + 3].Buffer : null);
    }

    /// <summary>HB, LEAVE, BYE (worker to coordinator), DRAIN (the other way): a command alone.</summary>
    public static void SendSignal(IOutgoingSocket socket, string command) => socket.SendFrame(command);

    /// <summary>
    /// RESULT [header] [meta] [payload] [kept] [failures] for a batch the operator handled: the output (null or empty:
    /// none, and then nothing kept) under <paramref name="batchId"/>, typed <paramref name="emptyType"/> when empty.
    /// The result owns <paramref name="output"/> from now on.
    /// </summary>
    public static OutgoingResult Result(ulong batchId, string emptyType, EncodedBatch? output, ReadOnlySpan<int> kept, IReadOnlyList<WireFailure> failures)
    {
        var m = new NetMQMessage(6);
        m.Append(Protocol.Result);
        if (output is null)
        {
            AppendEmpty(m, batchId, emptyType);
            kept = [];
        }
        else
        {
            m.Append(output.Header);
            m.Append(output.Meta);
            m.Append(new NetMQFrame(output.Payload, output.PayloadLength)); // the encoder's buffer: returned once the result is sent
        }

        m.Append(Protocol.Indices(kept));
        m.Append(failures.Count == 0 ? [] : Protocol.ToJson(failures));
        return new OutgoingResult(m, output);
    }

    /// <summary>A RESULT that fails every event of the batch <paramref name="header"/> names, with <paramref name="message"/>.</summary>
    public static OutgoingResult FailedResult(BatchHeader header, string message) =>
        Result(header.BatchId, header.DataType, null, [], [.. Enumerable.Range(0, header.Count).Select(i => new WireFailure(i, message, Severity.Error))]);

    /// <summary>The batch a RESULT answers (frame <paramref name="at"/> is the command); throws <see cref="FrameException"/> when it names none.</summary>
    public static BatchHeader ReadResultHeader(NetMQMessage msg, int at) =>
        msg.FrameCount > at + 1 ? BatchFrames.ReadHeader(msg[at + 1].Buffer) : throw new FrameException($"RESULT of {msg.FrameCount - at - 1} frames");

    /// <summary>The five frames after RESULT's command, or null when there are not exactly five.</summary>
    public static byte[][]? ResultBody(NetMQMessage msg, int at)
    {
        if (msg.FrameCount != at + 6) return null;
        var frames = new byte[5][];
        for (var i = 0; i < 5; i++) frames[i] = msg[at + 1 + i].Buffer;
        return frames;
    }

    /// <summary>Reads a RESULT's five frames (header, meta, payload, kept, failures).</summary>
    public static ResultContent ReadResult(byte[][] body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body.Length != 5) throw new FormatException($"RESULT of {body.Length} frames (5 expected)");
        return new ResultContent(BatchFrames.ReadHeader(body[0]), body[1], body[2], Protocol.ReadIndices(body[3]), ReadFailures(body[4]));
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

    // ---- coordinator -> worker (the ROUTER sends the identity frame first) ----

    public static void SendWelcome(IOutgoingSocket router, byte[] to, Welcome welcome) =>
        router.SendMoreFrame(to).SendMoreFrame(Protocol.Welcome).SendFrame(Protocol.ToJson(welcome));

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

    /// <summary>WELCOME [json], from frame <paramref name="at"/> on.</summary>
    public static Welcome ReadWelcome(NetMQMessage msg, int at)
    {
        Need(msg, at + 2, "WELCOME");
        return ReadWelcome(msg[at + 1].Buffer);
    }

    /// <summary>WORK [stage] [header] [meta] [payload]: the batch's frames as they are (no copy).</summary>
    public static void SendWork(IOutgoingSocket router, byte[] to, byte[] stage, EncodedBatch batch) =>
        router.SendMoreFrame(to).SendMoreFrame(Protocol.Work).SendMoreFrame(stage).SendMoreFrame(batch.Header).SendMoreFrame(batch.Meta).SendFrame(batch.Payload, batch.PayloadLength);

    /// <summary>WORK, from frame <paramref name="at"/> on; a batch whose header cannot be read throws <see cref="FrameException"/>.</summary>
    public static WorkMessage ReadWork(NetMQMessage msg, int at)
    {
        if (msg.FrameCount != at + 5) throw new FormatException($"WORK of {msg.FrameCount - at} frames; 5 expected");
        var header = BatchFrames.ReadHeader(msg[at + 2].Buffer);
        return new WorkMessage(msg[at + 1].ConvertToString(Encoding.UTF8), header, msg[at + 2].Buffer, msg[at + 3].Buffer, msg[at + 4].Buffer);
    }

    /// <summary>REJECT [reason], END [reason]: a command with a text (clipped when read); DRAIN and HB alone.</summary>
    public static void SendToWorker(IOutgoingSocket router, byte[] to, string command, string? text = null)
    {
        var m = router.SendMoreFrame(to);
        if (text is null) m.SendFrame(command);
        else m.SendMoreFrame(command).SendFrame(text);
    }

    /// <summary>The text of REJECT or END (frame <paramref name="at"/> is the command), clipped; <paramref name="none"/> when absent.</summary>
    public static string ReadText(NetMQMessage msg, int at, string none) => msg.FrameCount > at + 1 ? PeerLog.Clip(msg[at + 1].Buffer, 200) : none;

    private static void AppendEmpty(NetMQMessage m, ulong batchId, string type)
    {
        var t = Encoding.UTF8.GetBytes(type);
        var h = new byte[BatchFrames.HeaderSize + t.Length];
        BatchFrames.WriteHeader(h, PayloadKind.Bytes, batchId, 0, t);
        m.Append(h);
        m.Append(Array.Empty<byte>());
        m.Append(Array.Empty<byte>());
    }

    private static void Need(NetMQMessage m, int frames, string what)
    {
        if (m.FrameCount < frames) throw new FormatException($"{what} of {m.FrameCount - 1} frames");
    }
}

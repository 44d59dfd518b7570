using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Streams.Engine.Operators;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>
/// The coordinator-worker protocol's vocabulary (a worker process's DEALER to the coordinator's ROUTER): its version,
/// its commands and the primitives of its frames. Every message starts with a command frame (ASCII); the frames after
/// it are listed per command. Batches use <see cref="Framing.BatchFrames"/>. The messages themselves are encoded and
/// decoded by <see cref="WorkerProtocol"/>. Version 2 (<c>streams-workers/2</c>) gives credit and threads per stage.
/// </summary>
public static class Protocol
{
    public const string Version = "streams-workers/2";

    // worker -> coordinator
    /// <summary>HELLO [json WorkerHello] [join proof, or empty]: asks to join.</summary>
    public const string Hello = "HELLO";

    /// <summary>
    /// CREDIT [stage] [u32 n] [u32 threads]: the worker can take n more batches of that stage; it runs that many threads
    /// for it (one CREDIT per stage; since <c>streams-workers/2</c>).
    /// </summary>
    public const string Credit = "CREDIT";

    /// <summary>RESULT [header] [meta] [payload] [kept: u32 input index per output event] [failures json]: one batch done; returns one credit.</summary>
    public const string Result = "RESULT";

    /// <summary>LEAVE: send no more work; the coordinator answers DRAIN, and the worker says BYE once it has answered everything.</summary>
    public const string Leave = "LEAVE";

    /// <summary>BYE: the worker has drained and goes.</summary>
    public const string Bye = "BYE";

    // coordinator -> worker
    /// <summary>WELCOME [json Welcome]: the stages to run and the timing rules.</summary>
    public const string Welcome = "WELCOME";

    /// <summary>REJECT [reason]: not admitted (wrong key, unknown or dead worker); the worker exits or says HELLO again.</summary>
    public const string Reject = "REJECT";

    /// <summary>WORK [stage] [header] [meta] [payload]: one batch to process.</summary>
    public const string Work = "WORK";

    /// <summary>DRAIN: no more work follows; finish what you hold, then BYE (the answer to LEAVE; a worker treats an unasked one as a request to leave).</summary>
    public const string Drain = "DRAIN";

    /// <summary>END [reason]: the run is over; the worker exits.</summary>
    public const string End = "END";

    /// <summary>HB: heartbeat, both ways.</summary>
    public const string Heartbeat = "HB";

    /// <summary>Every command of the protocol (a command frame is one of these or malformed).</summary>
    public static IReadOnlySet<string> Commands { get; } = new HashSet<string>(StringComparer.Ordinal) { Hello, Credit, Result, Leave, Bye, Welcome, Reject, Work, Drain, End, Heartbeat };

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static byte[] ToJson<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Json);

    public static T FromJson<T>(ReadOnlySpan<byte> frame) => JsonSerializer.Deserialize<T>(frame, Json) ?? throw new JsonException("empty message");

    public static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return b;
    }

    public static uint ReadU32(ReadOnlySpan<byte> frame) => frame.Length == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(frame) : throw new FormatException($"expected a 4-byte count, got {frame.Length} bytes");

    public static byte[] Indices(ReadOnlySpan<int> indices)
    {
        var b = new byte[indices.Length * 4];
        for (var i = 0; i < indices.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(i * 4), (uint)indices[i]);
        return b;
    }

    public static int[] ReadIndices(ReadOnlySpan<byte> frame)
    {
        if (frame.Length % 4 != 0) throw new FormatException($"index frame of {frame.Length} bytes is not a multiple of 4");
        var r = new int[frame.Length / 4];
        for (var i = 0; i < r.Length; i++)
        {
            var v = BinaryPrimitives.ReadUInt32LittleEndian(frame[(i * 4)..]);
            r[i] = v <= int.MaxValue ? (int)v : throw new FormatException($"index {v} in an index frame is out of range");
        }
        return r;
    }

    /// <summary>The frames of CREDIT after the command.</summary>
    public static byte[][] CreditFrames(string stage, int batches, int threads) => [Encoding.UTF8.GetBytes(stage), U32((uint)batches), U32((uint)threads)];

    /// <summary>Reads CREDIT's frames (the threads frame may be missing); malformed frames throw <see cref="FormatException"/>.</summary>
    public static CreditGrant ReadCredit(ReadOnlySpan<byte> stage, ReadOnlySpan<byte> batches, byte[]? threads)
    {
        string name;
        try
        {
            name = new UTF8Encoding(false, true).GetString(stage);
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException("CREDIT's stage is not valid UTF-8");
        }

        return new CreditGrant(name, (int)Math.Min(ReadU32(batches), int.MaxValue), threads is null ? null : (int)Math.Min(ReadU32(threads), int.MaxValue));
    }

    public static string Text(ReadOnlySpan<byte> frame) => Encoding.UTF8.GetString(frame);
}

/// <summary>A worker process's CREDIT for one stage: more batches it can hold, and the threads it runs for the stage.</summary>
public readonly record struct CreditGrant(string Stage, int Batches, int? Threads);

/// <summary>What a worker says about itself when it joins.</summary>
public sealed record WorkerHello(string Name, string Host, int Pid, string Protocol, string Version)
{
    /// <summary>Where the worker serves Prometheus metrics (HOST:PORT), if it does: the coordinator lists it for service discovery.</summary>
    public string? Metrics { get; init; }
}

/// <summary>The coordinator's answer: who the worker is now, what it runs, and how often to speak.</summary>
public sealed record Welcome(string WorkerId, string Pipeline, IReadOnlyList<StageDefinition> Stages, int HeartbeatMs, int DeadAfterMs);

/// <summary>A stage a worker runs: operator, configuration, types and threads.</summary>
public sealed record StageDefinition(string Stage, string Operator, int Threads, string OutputType, IReadOnlyDictionary<string, WireConfigValue> Config)
{
    public static StageDefinition From(Streams.Engine.Spec.PlannedNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var config = node.Config.Values.ToDictionary(kv => kv.Key, kv => new WireConfigValue(kv.Value.Scalar, kv.Value.Items), StringComparer.Ordinal);
        return new StageDefinition(node.Name, node.Descriptor.Name, node.Spec.Workers, node.OutputType ?? "", config);
    }

    /// <summary>The configuration for the worker's copy of the operator.</summary>
    public OperatorConfig ToConfig(OperatorDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var values = Config.ToDictionary(kv => kv.Key, kv => new ConfigValue(kv.Value.Scalar, kv.Value.Items, default), StringComparer.Ordinal);
        return new OperatorConfig(descriptor.Parameters, values, Stage);
    }
}

/// <summary>A configuration value on the wire: a scalar or a list.</summary>
public sealed record WireConfigValue(string? Scalar, IReadOnlyList<string>? Items);

/// <summary>An event a worker's operator failed (index in the batch it was sent).</summary>
public sealed record WireFailure(int Index, string Message, Severity Severity);

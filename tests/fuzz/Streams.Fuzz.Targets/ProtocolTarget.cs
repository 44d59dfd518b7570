using System.Text;
using System.Text.Json;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Fuzz.Targets;

/// <summary>
/// Coordinator/worker messages: byte 0 sizes the batch a RESULT answers, the rest is the message's frames (see
/// <see cref="FuzzSupport.Split"/>), the command first. HELLO and CREDIT are parsed as the coordinator does, RESULT
/// as the coordinator and then <see cref="RemoteStage.Rebuild"/> do (the answer turned into the output batch),
/// WELCOME and WORK as the worker does (the stages checked against the real operator catalog, the batch decoded).
/// Only the documented malformed-message exceptions may come out; a rebuilt batch is consistent with its input.
/// </summary>
public static class ProtocolTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        var inputCount = 1 + (data[0] % 32);
        var frames = FuzzSupport.Split(data[1..], 16);
        if (frames.Count == 0) return;
        FuzzSupport.WithAllocationLimit((256L * data.Length) + (16 << 20), () =>
        {
            try
            {
                Handle(Encoding.UTF8.GetString(frames[0]), frames, inputCount);
            }
            catch (Exception e) when (e is FormatException or JsonException or FrameException)
            {
                // malformed: dropped and counted by the receiver
            }
        });
    }

    private static void Handle(string command, List<byte[]> f, int inputCount)
    {
        switch (command)
        {
            case Protocol.Hello:
                if (f.Count < 2) throw new FormatException("HELLO without a body");
                var hello = WorkerProtocol.ReadHello(f[1]);
                FuzzSupport.Check(hello is not null, "HELLO parsed to null");
                break;
            case Protocol.Credit:
                if (f.Count < 3) throw new FormatException("CREDIT without a stage and a count");
                _ = Protocol.ReadCredit(f[1], f[2], f.Count > 3 ? f[3] : null);
                break;
            case Protocol.Result:
                if (f.Count != 6) throw new FormatException($"RESULT of {f.Count} frames");
                _ = BatchFrames.ReadHeader(f[1]);
                Rebuild(f.GetRange(1, 5).ToArray(), inputCount);
                break;
            case Protocol.Welcome:
                if (f.Count < 2) throw new FormatException("WELCOME without a body");
                Welcome(WorkerProtocol.ReadWelcome(f[1]));
                break;
            case Protocol.Work:
                if (f.Count != 5) throw new FormatException($"WORK of {f.Count} frames");
                _ = Encoding.UTF8.GetString(f[1]);
                var header = BatchFrames.ReadHeader(f[2]);
                using (BatchFrames.Decode(header, f[3], f[4]))
                {
                }

                break;
        }
    }

    /// <summary>As the worker's OnWelcome and StartStage: each stage's operator looked up, its configuration built and checked.</summary>
    private static void Welcome(Welcome welcome)
    {
        _ = Math.Max(0.05, welcome.HeartbeatMs / 1000.0);
        foreach (var def in welcome.Stages)
        {
            if (!YamlTarget.Catalog.TryGet(def.Operator, out var descriptor)) continue; // refused: operator not known
            try
            {
                var config = def.ToConfig(descriptor);
                _ = config.Check();
            }
            catch (ConfigException)
            {
                // refused: a bad configuration
            }
        }
    }

    private static void Rebuild(byte[][] frames, int inputCount)
    {
        using var builder = new EventBatchBuilder(inputCount, inputCount * 8);
        for (var i = 0; i < inputCount; i++) builder.Add(new EventMeta((ulong)i, 1, (ulong)i, 0), BitConverter.GetBytes((long)i));
        var input = builder.Build("binary/ejfat");
        var descriptor = new OperatorDescriptor
        {
            Name = "fuzz-rebuild",
            Kind = OperatorKind.Processor,
            Description = "RemoteStage.Rebuild on a fuzzed RESULT",
            Factory = () => new RebuildProcessor(new WorkReply(frames, "fuzz")),
        };
        using var host = new OperatorHost(descriptor, new OperatorConfig([]), "remote", 0, RunLog.Null);
        var op = RebuildProcessor.Last!;
        var result = host.Process(input);
        using var output = result.Output;
        if (op.Error is not null) throw op.Error is FormatException or JsonException or FrameException ? op.Error : new FuzzFindingException($"RemoteStage.Rebuild threw {op.Error.GetType().Name}: {op.Error.Message}", op.Error);
        if (output is null) return;
        FuzzSupport.Check(output.Count == BatchFrames.ReadHeader(frames[0]).Count, $"{output.Count} events rebuilt for a RESULT of {BatchFrames.ReadHeader(frames[0]).Count}");
        if (output.HasBytes)
        {
            for (var i = 0; i < output.Count; i++) _ = output.GetPayload(i);
        }
        else
        {
            FuzzSupport.Check(output.Records!.Length == output.Count, "rebuilt Arrow rows do not match its events");
        }
    }

    /// <summary>Runs <see cref="RemoteStage.Rebuild"/> inside a real <see cref="ProcessContext"/>, keeping what it threw.</summary>
    private sealed class RebuildProcessor : IProcessor
    {
        private readonly WorkReply _reply;

        public RebuildProcessor(WorkReply reply)
        {
            _reply = reply;
            Last = this;
        }

        [ThreadStatic]
        public static RebuildProcessor? Last;

        public Exception? Error { get; private set; }

        public void Configure(OperatorConfig config)
        {
        }

        public void Reset()
        {
        }

        public EventBatch? Process(EventBatch input, ProcessContext context)
        {
            try
            {
                return RemoteStage.Rebuild(input, context, _reply);
            }
            catch (Exception e)
            {
                Error = e;
                return null;
            }
        }

        public void Dispose()
        {
        }
    }
}

using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Operators.Clas12.Decoding;
using Streams.Operators.Clas12.Evio;

namespace Streams.Fuzz.Targets;

/// <summary>
/// EVIO 6 / clas12-decode: the input is a batch of events (see <see cref="FuzzSupport.Split"/>). Each event goes
/// through <see cref="Evio6.Read(ReadOnlySpan{byte}, EvioEvent)"/> (only <see cref="EvioException"/> may come out; a decoded event re-encodes to an
/// event that decodes to the same hits), then the whole batch through the <c>clas12-decode</c> operator: every event is
/// either a row of the output or failed with the decoder's own message, never an unexpected exception.
/// </summary>
public static class EvioTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        var events = FuzzSupport.Split(data, 256);
        if (events.Count == 0) return;
        FuzzSupport.WithAllocationLimit((64L * data.Length) + (16 << 20), () => Decode(events));
    }

    private static void Decode(List<byte[]> events)
    {
        var ev = new EvioEvent();
        var again = new EvioEvent();
        var good = 0;
        foreach (var bytes in events)
        {
            try
            {
                Evio6.Read(bytes, ev);
            }
            catch (EvioException)
            {
                continue;
            }

            good++;
            var copy = new EvioEvent();
            copy.DcHits.AddRange(ev.DcHits);
            copy.EcStrips.AddRange(ev.EcStrips);
            var buffer = new byte[Evio6.SizeOf(copy)];
            Evio6.Write(copy, buffer);
            Evio6.Read(buffer, again);
            FuzzSupport.Check(again.DcHits.SequenceEqual(ev.DcHits), "DC hits do not survive a write and read back");
            FuzzSupport.Check(again.EcStrips.SequenceEqual(ev.EcStrips), "EC strips do not survive a write and read back");
        }

        using var builder = new EventBatchBuilder(events.Count, events.Sum(e => e.Length) + 1);
        for (var i = 0; i < events.Count; i++) builder.Add(new EventMeta((ulong)i, 1, (ulong)i, 0), events[i]);
        var input = builder.Build("evio/clas12");
        using var host = new OperatorHost(Clas12Decoder.Descriptor, new OperatorConfig(Clas12Decoder.Descriptor.Parameters), "decode", 0, RunLog.Null);
        var result = host.Process(input);
        using var output = result.Output;
        foreach (var f in result.Failures)
        {
            FuzzSupport.Check(f.Message.StartsWith("malformed EVIO: ", StringComparison.Ordinal), $"event {f.Index} failed with an unexpected message: {f.Message}");
        }

        FuzzSupport.Check(result.Failures.Count == events.Count - good, $"{result.Failures.Count} events failed by clas12-decode, {events.Count - good} by Evio6.Read");
        FuzzSupport.Check((output?.Count ?? 0) == good, $"clas12-decode kept {output?.Count ?? 0} events of {good} good ones");
        if (output is not null) FuzzSupport.Check(output.Records!.Length == good, "clas12-decode output rows do not match its events");
    }
}

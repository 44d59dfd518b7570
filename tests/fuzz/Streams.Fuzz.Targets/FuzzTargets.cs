namespace Streams.Fuzz.Targets;

/// <summary>The harnesses by name: what <c>Streams.Fuzz NAME</c> runs under AFL++ and FuzzCorpusTests replays.</summary>
public static class FuzzTargets
{
    public delegate void Target(ReadOnlySpan<byte> data);

    public static IReadOnlyDictionary<string, Target> All { get; } = new Dictionary<string, Target>(StringComparer.Ordinal)
    {
        ["ejfat"] = EjfatTarget.Run,
        ["evio"] = EvioTarget.Run,
        ["evio-reader"] = EvioReaderTarget.Run,
        ["hipo"] = HipoTarget.Run,
        ["yaml"] = YamlTarget.Run,
        ["frames"] = FramesTarget.Run,
        ["protocol"] = ProtocolTarget.Run,
    };

    /// <summary>The assemblies whose code a target exercises: the ones <c>sharpfuzz</c> instruments.</summary>
    public static IReadOnlyDictionary<string, string[]> Instrumented { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["ejfat"] = ["Streams.Transports.Ejfat.dll"],
        ["evio"] = ["Streams.Operators.Clas12.dll", "Streams.Formats.Evio.dll"],
        ["evio-reader"] = ["Streams.Formats.Evio.dll", "K4os.Compression.LZ4.dll"],
        ["hipo"] = ["Streams.Formats.Hipo.dll", "K4os.Compression.LZ4.dll"],
        ["yaml"] = ["Streams.Engine.dll", "YamlDotNet.dll"],
        ["frames"] = ["Streams.Transports.ZeroMq.dll", "Apache.Arrow.dll"],
        ["protocol"] = ["Streams.Transports.ZeroMq.dll"],
    };
}

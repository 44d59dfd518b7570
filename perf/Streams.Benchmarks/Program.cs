using BenchmarkDotNet.Running;

namespace Streams.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project perf/Streams.Benchmarks -- --filter '*'</c>; see perf/README.md for the
/// end-to-end runs (thread scaling, stalled sink). Benchmarks are the classes of this assembly, picked by --filter
/// (e.g. <c>'*JlabFormat*'</c> for the EVIO/HIPO/LZ4 reads of <see cref="JlabFormatBenchmarks"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "zmq-throughput")
        {
            Transports.ZeroMq.Framing.ZmqSend.PreferInlineSocketCompletions(); // as the streams command does
            return ZmqThroughput.Run(args);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}

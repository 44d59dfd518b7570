using System.Globalization;

namespace Streams.Jrm;

/// <summary>
/// The one place that writes the <c>streams worker</c> command line a node runs: the coordinator it joins, the name the
/// node provider chose for it (how the provider later learns from the coordinator that it joined), its threads, when it
/// leaves on its own, and where it serves its metrics. Local, SLURM and Kubernetes providers all use it.
/// </summary>
/// <param name="Join">The coordinator's address, <c>tcp://HOST:PORT</c>, as the node reaches it.</param>
/// <param name="Name">The worker process's name, unique in the run (the provider's choice).</param>
/// <param name="Threads">Threads the worker runs.</param>
public sealed record WorkerCommandLine(string Join, string Name, int Threads) : NodeCommandLine
{
    /// <summary>Seconds after which the worker drains and leaves on its own (<c>--leave-after</c>); null: it stays.</summary>
    public int? LeaveAfterSeconds { get; init; }

    /// <summary>The worker's metrics endpoint (<c>--metrics-listen</c>); port 0 takes a free one, announced to the coordinator.</summary>
    public string MetricsListen { get; init; } = "127.0.0.1:0";

    /// <summary>The arguments after the program that runs Streams, starting with <c>worker</c>.</summary>
    public override IReadOnlyList<string> Arguments
    {
        get
        {
            List<string> args = ["worker", "--join", Join, "--name", Name, "--threads", Threads.ToString(CultureInfo.InvariantCulture)];
            if (LeaveAfterSeconds is { } s) args.AddRange(["--leave-after", s.ToString(CultureInfo.InvariantCulture)]);
            args.AddRange(["--metrics-listen", MetricsListen]);
            return args;
        }
    }
}

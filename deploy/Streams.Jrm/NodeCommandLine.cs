using System.Text;

namespace Streams.Jrm;

/// <summary>
/// What a node runs, as arguments after the program that runs Streams: a worker process that joins a coordinator
/// (<see cref="WorkerCommandLine"/>), or a whole node pipeline behind a load balancer
/// (<see cref="NodePipelineCommandLine"/>). Local, SLURM and Kubernetes providers start either.
/// </summary>
public abstract record NodeCommandLine
{
    /// <summary>The arguments after the program that runs Streams.</summary>
    public abstract IReadOnlyList<string> Arguments { get; }

    /// <summary>
    /// The line for a shell script: <paramref name="streamsCommand"/> then the arguments, each quoted with double
    /// quotes when it holds more than letters, digits and <c>_./:@%+=,-</c> (so a name such as
    /// <c>slurm-$SLURM_JOB_ID</c> is expanded by the script's shell, as intended).
    /// </summary>
    public string ForShell(string streamsCommand)
    {
        var line = new StringBuilder(streamsCommand);
        foreach (var a in Arguments)
        {
            line.Append(' ');
            var plain = a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "_./:@%+=,-".Contains(c, StringComparison.Ordinal));
            line.Append(plain ? a : $"\"{a.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("`", "\\`", StringComparison.Ordinal)}\"");
        }

        return line.ToString();
    }
}

/// <summary>
/// The <c>streams run</c> line of a node pipeline (the EJFAT way: the node receives its share straight from the load
/// balancer): the pipeline file, the load balancer's URI, the node's name (its member name there, which is how the
/// provider learns that it serves: the member has slots), its metrics endpoint, announced in <see cref="MetricsFile"/>
/// in its working directory, and its summary. It runs in a working directory of its own (its outputs are relative).
/// </summary>
/// <param name="Pipeline">The node pipeline file (a full path: the node runs elsewhere).</param>
/// <param name="LoadBalancer">The EJFAT URI it registers with (<c>--lb</c>).</param>
/// <param name="Name">The node's name, unique in the run (the provider's choice).</param>
public sealed record NodePipelineCommandLine(string Pipeline, string LoadBalancer, string Name) : NodeCommandLine
{
    /// <summary>The file, in the node's working directory, where it writes its metrics endpoint (<c>host:port</c>).</summary>
    public const string MetricsFile = "metrics-address";

    /// <summary>The file, in the node's working directory, where it writes its run summary.</summary>
    public const string SummaryFile = "summary.json";

    /// <summary>The node's metrics endpoint (<c>--metrics-listen</c>); port 0 takes a free one, announced in <see cref="MetricsFile"/>.</summary>
    public string MetricsListen { get; init; } = "127.0.0.1:0";

    /// <summary>Seconds after which the node stops on its own (<c>--duration</c>: it deregisters and drains); null: it runs until told.</summary>
    public int? DurationSeconds { get; init; }

    public override IReadOnlyList<string> Arguments
    {
        get
        {
            List<string> args =
            [
                "run", Pipeline, "--lb", LoadBalancer, "--node-name", Name, "--metrics-listen", MetricsListen, "--metrics-file", MetricsFile,
                "--summary-json", SummaryFile, "--progress", "log", "--progress-interval", "10",
            ];
            if (DurationSeconds is { } d) args.AddRange(["--duration", d.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            return args;
        }
    }
}

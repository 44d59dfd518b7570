using System.CommandLine;
using Streams.Cli.Commands;

namespace Streams.Cli;

/// <summary>The <c>streams</c> command.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        Transports.ZeroMq.Framing.ZmqSend.PreferInlineSocketCompletions(); // before any socket exists
        var root = new RootCommand("""
            Streams: a streaming data-pipeline engine for nuclear-physics event reconstruction.
            Pipelines are YAML files (native, or ERSAP services.yaml); see README.md.
            Examples:
              streams run                                  run the embedded default pipeline
              streams run pipeline.yaml --duration 60      run a file for a minute, then drain
              streams validate pipeline.yaml               check a file without running it
              streams operators                            list the operators a file may use
              streams receive --port 19522 --out ev.arrow -d 60   record an EJFAT stream
              streams send --dest 127.0.0.1:19522 --count 1000    send EJFAT events
              streams run deploy/pipelines/clas12-distributed.yaml --listen tcp://127.0.0.1:5555
              streams worker --join tcp://127.0.0.1:5555          run stages for that coordinator
              streams sites status --from 127.0.0.1:9100          the sites of a run with control.sites
              streams lb --reserve demo --uri-file out/lb.uri     a software EJFAT load balancer
              streams run node.yaml --lb "$(cat out/lb.uri)"      a node pipeline behind it
            """)
        {
            RunCommand.Create(),
            ValidateCommand.Create(),
            OperatorsCommand.Create(),
            BenchCommand.Create(),
            SendCommand.Create(),
            ReceiveCommand.Create(),
            InspectCommand.Create(),
            WorkerCommand.Create(),
            KeysCommand.Create(),
            ControlCommand.Create(),
            SitesCommand.Create(),
            TwinCommand.Create(),
            LbCommand.Create(),
        };

        // Every error is one line (never a stack trace): usage errors exit 2 with one usage line, other failures 1.
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            Console.Error.WriteLine(CliErrors.Unexpected(e.ExceptionObject as Exception ?? new InvalidOperationException("unknown failure")));
            Environment.Exit(CliErrors.FailureExit);
        };
        var parse = root.Parse(args);
        CliErrors.Current = parse;
        if (CliErrors.ReportParseErrors(parse, Console.Error) is { } usage) return usage;
        int code;
        try
        {
            // Ctrl+C and SIGTERM are handled by `run` itself (graceful drain), not by System.CommandLine's 2 s timeout.
            code = await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(CliErrors.Unexpected(e));
            code = CliErrors.FailureExit;
        }

        Transports.ZeroMq.Framing.ZmqSend.Shutdown(TimeSpan.FromSeconds(15)); // deliver what ZeroMQ sockets still hold
        return code;
    }
}

using System.CommandLine;
using System.Runtime.InteropServices;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Security;
using Streams.Transports.ZeroMq.Working;

namespace Streams.Cli.Commands;

/// <summary><c>streams worker --join tcp://HOST:PORT</c>: runs the stages a coordinator places on workers.</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var join = new Option<string>("--join") { Description = "The coordinator ('streams run ... --listen'), tcp://HOST:PORT.", Required = true, HelpName = "tcp://HOST:PORT" };
        var name = new Option<string?>("--name") { Description = "Name in the coordinator's log, metrics and summary (default HOST-PID).", HelpName = "NAME" };
        var threads = new Option<int?>("--threads") { Description = "Threads per stage, overriding the pipeline's 'workers'.", HelpName = "N" };
        var credit = new Option<int>("--credit-per-thread") { Description = "Batches held per thread (1 processing, the rest queued).", DefaultValueFactory = _ => 2, HelpName = "N" };
        var giveUp = new Option<double>("--give-up-after") { Description = "Exit (status 3) when no coordinator answers for this long (counted from the start, or from reconnecting to a silent one).", DefaultValueFactory = _ => 30, HelpName = "SECONDS" };
        var serverKey = new Option<string?>("--curve-server-key") { Description = "Use CurveZMQ: the coordinator's public key file (NAME.key).", HelpName = "FILE" };
        var secret = new Option<string?>("--curve-secret") { Description = "This worker's certificate (NAME.key_secret), for a coordinator that admits listed keys only.", HelpName = "FILE" };
        var leaveAfter = new Option<double?>("--leave-after") { Description = "Drain and leave on its own after this long (for nodes that are killed, not signalled, at their end, like JRM nodes).", HelpName = "SECONDS" };
        var metricsListen = new Option<string>("--metrics-listen")
        {
            Description = "Serve this worker's Prometheus metrics at http://HOST:PORT/metrics (port 0: any free port); the coordinator lists it for service discovery (--prometheus-sd).",
            DefaultValueFactory = _ => "off",
            HelpName = "HOST:PORT|off",
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Log warnings and errors only." };
        var cmd = new Command("worker", """
            Join a coordinator and run the stages it places on workers ('placement: workers'), returning results until
            the run ends. SIGTERM or Ctrl+C: finish the batches in hand, then leave. Exit status: 0 run ended or left,
            2 refused (key, version, unknown operator) or a usage error, 3 no coordinator answered.
            """)
        {
            join, name, threads, credit, giveUp, serverKey, secret, leaveAfter, metricsListen, quiet,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var log = new RunLog(Console.Error, parse.GetValue(quiet) ? RunLogLevel.Warning : RunLogLevel.Info);
            WorkerOptions options;
            MetricsEndpoint? metricsEndpoint = null;
            var registry = Streams.Engine.Metrics.MetricsRegistry.CreatePrivate();
            try
            {
                var endpoint = parse.GetValue(join)!;
                if (TcpEndpointProblem(endpoint) is { } bad) throw new ArgumentException($"--join: {bad}");
                if (Engine.Spec.ListenAddress.TryResolve(endpoint["tcp://".Length..], out _) is { } unresolved) return CliErrors.Fail($"--join: {unresolved}");
                if (parse.GetValue(threads) is < 1) throw new ArgumentException("--threads must be at least 1");
                if (parse.GetValue(credit) < 1) throw new ArgumentException("--credit-per-thread must be at least 1");
                if (parse.GetValue(leaveAfter) is <= 0) throw new ArgumentException("--leave-after must be more than 0 seconds");
                if (parse.GetValue(metricsListen) is { } ml && !Engine.Spec.ListenAddress.IsOff(ml) && Engine.Spec.ListenAddress.TryParse(ml, out _, anyPort: true) is { } badMl) throw new ArgumentException($"--metrics-listen: {badMl}");
                if (parse.GetValue(giveUp) <= 0) throw new ArgumentException("--give-up-after must be more than 0 seconds");
                if (parse.GetValue(secret) is not null && parse.GetValue(serverKey) is null) throw new ArgumentException("--curve-secret needs --curve-server-key");
                metricsEndpoint = MetricsEndpoint.Start(parse.GetValue(metricsListen)!, registry, log);
                options = new WorkerOptions
                {
                    Join = endpoint,
                    Name = parse.GetValue(name) ?? $"{Environment.MachineName}-{Environment.ProcessId}",
                    Threads = parse.GetValue(threads),
                    CreditPerThread = parse.GetValue(credit),
                    GiveUpAfter = TimeSpan.FromSeconds(parse.GetValue(giveUp)),
                    ServerKey = parse.GetValue(serverKey) is { } sk ? CurveKeys.LoadPublic(sk) : null,
                    Certificate = parse.GetValue(secret) is { } s ? CurveKeys.LoadSecret(s) : null,
                    MetricsAddress = metricsEndpoint.Address,
                    Registry = registry,
                };
            }
            catch (ArgumentException e)
            {
                metricsEndpoint?.Dispose();
                return CliErrors.Usage(CliErrors.Message(e));
            }
            catch (CurveKeyException e)
            {
                metricsEndpoint?.Dispose();
                return CliErrors.Fail(e.Message);
            }

            using var metrics = metricsEndpoint;
            using var host = new WorkerHost(options, OperatorSet.Create(), log);
            using var leave = new CancellationTokenSource();
            var signals = 0;
            void OnSignal(PosixSignalContext c)
            {
                c.Cancel = true;
                if (Interlocked.Increment(ref signals) == 1)
                {
                    log.Warn("worker", $"{c.Signal} received: finishing the batches in hand, then leaving (again to abort)");
                    leave.Cancel();
                }
                else
                {
                    Environment.Exit(130);
                }
            }

            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal); // a closed terminal: leave like SIGTERM
            using var lifetime = parse.GetValue(leaveAfter) is { } seconds
                ? new Timer(_ =>
                {
                    log.Info("worker", $"--leave-after {seconds:0.#} s reached: finishing the batches in hand, then leaving");
                    leave.Cancel();
                }, null, TimeSpan.FromSeconds(seconds), Timeout.InfiniteTimeSpan)
                : null;
            log.Info("worker", $"joining {options.Join} as {options.Name}{(options.ServerKey is null ? "" : " (CURVE)")}");
            return (int)await host.RunAsync(leave.Token).ConfigureAwait(false);
        });
        return cmd;
    }

    /// <summary>Why <paramref name="endpoint"/> is not tcp://HOST:PORT with a port 1..65535, or null.</summary>
    internal static string? TcpEndpointProblem(string endpoint, bool anyPort = false)
    {
        const string Scheme = "tcp://";
        if (!endpoint.StartsWith(Scheme, StringComparison.Ordinal)) return $"'{endpoint}' must look like tcp://HOST:PORT";
        return Engine.Spec.ListenAddress.TryParse(endpoint[Scheme.Length..], out var a, anyPort) is not null || a.Host.Length == 0
            ? $"'{endpoint}' must look like tcp://HOST:PORT with a port from {(anyPort ? 0 : 1)} to 65535"
            : null;
    }
}

using System.CommandLine;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Security;

namespace Streams.Cli.Commands;

/// <summary>What <c>streams run</c> was told about workers.</summary>
internal sealed record DistributedRequest(string? Listen, double Heartbeat, double DeadAfter, double WorkerWait, int Slots, string? CurveSecret, string? CurveAllow, string? PrometheusSd = null);

/// <summary>The coordinator options of <c>streams run</c> (for stages with <c>placement: workers</c>).</summary>
internal sealed class DistributedOptions
{
    private readonly Option<string?> _listen = new("--listen")
    {
        Description = "Coordinate worker processes: listen on tcp://HOST:PORT for 'streams worker --join'. Needed when a stage has 'placement: workers'.",
        HelpName = "tcp://HOST:PORT",
    };

    private readonly Option<double> _heartbeat = new("--heartbeat") { Description = "Seconds between heartbeats to and from workers.", DefaultValueFactory = _ => 1, HelpName = "SECONDS" };
    private readonly Option<double> _deadAfter = new("--dead-after") { Description = "A worker silent this long is declared dead; its batches go to other workers.", DefaultValueFactory = _ => 5, HelpName = "SECONDS" };
    private readonly Option<double> _workerWait = new("--worker-wait") { Description = "How long batches may wait with no worker connected before they are failed.", DefaultValueFactory = _ => 300, HelpName = "SECONDS" };
    private readonly Option<int> _slots = new("--in-flight") { Description = "Batches of each remote stage in flight at once (waiting for or held by workers).", DefaultValueFactory = _ => 64, HelpName = "N" };
    private readonly Option<string?> _curveSecret = new("--curve-secret") { Description = "Encrypt worker links with CurveZMQ using this certificate (NAME.key_secret from 'streams keys').", HelpName = "FILE" };
    private readonly Option<string?> _curveAllow = new("--curve-allow") { Description = "Admit only workers whose public key is in this folder of *.key files (or this one file). Needs --curve-secret.", HelpName = "DIR|FILE" };

    private readonly Option<string?> _prometheusSd = new("--prometheus-sd")
    {
        Description = "Keep this Prometheus file_sd_configs JSON file up to date with the metrics endpoints of this run and of its workers (started with --metrics-listen).",
        HelpName = "FILE",
    };

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(_listen);
        cmd.Options.Add(_heartbeat);
        cmd.Options.Add(_deadAfter);
        cmd.Options.Add(_workerWait);
        cmd.Options.Add(_slots);
        cmd.Options.Add(_curveSecret);
        cmd.Options.Add(_curveAllow);
        cmd.Options.Add(_prometheusSd);
    }

    public DistributedRequest Read(ParseResult parse) => new(
        parse.GetValue(_listen), parse.GetValue(_heartbeat), parse.GetValue(_deadAfter), parse.GetValue(_workerWait), parse.GetValue(_slots),
        parse.GetValue(_curveSecret), parse.GetValue(_curveAllow), parse.GetValue(_prometheusSd));

    /// <summary>
    /// Starts a coordinator when the plan places stages on workers. Throws <see cref="ArgumentException"/> (or a key or
    /// socket error) with a message for the user when the settings do not fit the pipeline.
    /// </summary>
    public static Coordinator? StartCoordinator(PipelinePlan plan, DistributedRequest? req, RunLog log)
    {
        var remote = plan.Nodes.Where(n => n.Spec.Placement == Placement.Workers).Select(n => n.Name).ToList();
        if (remote.Count == 0)
        {
            if (req?.PrometheusSd is not null) throw new ArgumentException("--prometheus-sd lists workers: it needs a stage with 'placement: workers' and --listen");
            if (req?.Listen is not null) throw new ArgumentException($"--listen given but no stage of '{plan.Name}' has 'placement: workers'");
            return null;
        }

        if (req?.Listen is null)
        {
            throw new ArgumentException($"stage(s) {string.Join(", ", remote.Select(r => $"'{r}'"))} of '{plan.Name}' run on workers (placement: workers): start with --listen tcp://HOST:PORT, then 'streams worker --join tcp://HOST:PORT'");
        }

        if (WorkerCommand.TcpEndpointProblem(req.Listen, anyPort: true) is { } badListen) throw new ArgumentException($"--listen: {badListen}");
        if (req.WorkerWait <= 0) throw new ArgumentException("--worker-wait must be more than 0 seconds");
        if (req.Heartbeat <= 0 || req.DeadAfter <= req.Heartbeat) throw new ArgumentException("--dead-after must be longer than --heartbeat, and both positive");
        if (req.Slots < 1) throw new ArgumentException("--in-flight must be at least 1");
        if (req.CurveAllow is not null && req.CurveSecret is null) throw new ArgumentException("--curve-allow needs --curve-secret (the coordinator's own certificate)");
        var options = new CoordinatorOptions
        {
            Listen = req.Listen,
            Heartbeat = TimeSpan.FromSeconds(req.Heartbeat),
            DeadAfter = TimeSpan.FromSeconds(req.DeadAfter),
            WorkerWait = TimeSpan.FromSeconds(req.WorkerWait),
            Slots = req.Slots,
            Curve = req.CurveSecret is null ? null : CurveKeys.LoadSecret(req.CurveSecret),
            AllowedWorkers = req.CurveAllow is null ? null : CurveKeys.LoadAllowed(req.CurveAllow),
            ScrapeTargets = req.PrometheusSd is null ? null : new ScrapeTargets(req.PrometheusSd, plan.Name),
        };
        var coordinator = new Coordinator(plan, options, log, Streams.Engine.Metrics.MetricsRegistry.Process);
        coordinator.Start();
        return coordinator;
    }
}

using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Streams.Cli.Display;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;

namespace Streams.Cli.Commands;

/// <summary><c>streams run [PIPELINE.yaml]</c>: runs a pipeline with live progress, metrics and a summary.</summary>
internal static class RunCommand
{
    /// <summary>Exit status when the pipeline file has errors (<see cref="ExitCodes.Usage"/>).</summary>
    public const int InvalidPipelineExit = ExitCodes.Usage;

    public static Command Create()
    {
        var file = new Argument<FileInfo?>("pipeline")
        {
            Description = "Pipeline YAML (native or ERSAP services.yaml). Without it, runs the embedded default pipeline.",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "PIPELINE.yaml",
        };
        var duration = new Option<double?>("--duration", "-d") { Description = "Stop intake after this many seconds, then drain.", HelpName = "SECONDS" };
        var events = new Option<long?>("--events", "-n") { Description = "Stop intake after this many events in total, then drain.", HelpName = "N" };
        var summary = new Option<FileInfo?>("--summary-json") { Description = "Write the run summary (totals, per-stage counts, failures) as JSON.", HelpName = "FILE" };
        var metrics = new Option<string?>("--metrics-listen")
        {
            Description = $"Serve Prometheus metrics at http://HOST:PORT/metrics ('off' to disable). Default: the file's metrics.listen, else {MetricsEndpoint.Default}.",
            HelpName = "HOST:PORT",
        };
        var progress = new Option<string>("--progress")
        {
            Description = "How to show progress: live (table on a terminal), log (a line per interval), none; auto picks live on a terminal.",
            DefaultValueFactory = _ => "auto",
        };
        progress.AcceptOnlyFromAmong("auto", "live", "log", "none");
        var interval = new Option<double>("--progress-interval") { Description = "Seconds between progress lines (log mode).", DefaultValueFactory = _ => 5, HelpName = "SECONDS" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Log warnings and errors only." };
        var distributed = new DistributedOptions();
        var control = new Option<string?>("--control") { Description = $"Control law for the stages' worker counts ({string.Join(", ", Control.Laws.ControlLaws.Names)}, {Control.Laws.ControlLaws.Off}); overrides the file's control.law.", HelpName = "LAW" };

        var lb = new Option<string?>("--lb")
        {
            Description = "Connect the pipeline to this EJFAT load balancer (ejfat[s]://TOKEN@HOST:PORT/lb/ID?data=IP:PORT&sync=IP:PORT): its ejfat-receivers register as members (a node pipeline; on SIGTERM it deregisters, takes what is still on its way, then drains) and its ejfat-senders send through it.",
            HelpName = "URI",
        };
        var nodeName = new Option<string?>("--node-name")
        {
            Description = "This node's name: its ejfat-receivers register under it at the load balancer (NAME, NAME-2, ...). Node providers set it to the node's id.",
            HelpName = "NAME",
        };
        var metricsFile = new Option<FileInfo?>("--metrics-file")
        {
            Description = "Write the metrics endpoint's HOST:PORT to FILE once it serves (with --metrics-listen HOST:0, how a node announces the port it got).",
            HelpName = "FILE",
        };
        var report = new Option<string?>("--report")
        {
            Description = $"Write an HTML run report (one self-contained file: books, stages, physics plots, the run over time with the controller's decisions, EJFAT losses, nodes and sites) to DIR/{Reporting.Report.HtmlReport.FileName}; 'off' for none. Default: {DefaultReport} for the embedded default pipeline, none otherwise.",
            HelpName = "DIR",
        };
        var cmd = new Command("run", "Run a pipeline until its input ends, --duration/--events is reached, or Ctrl+C/SIGTERM (graceful drain). A file with only a 'control:' section naming a node-pipeline runs a control process that sizes node pipelines behind a load balancer.")
        {
            file, duration, events, summary, metrics, progress, interval, quiet, control, lb, nodeName, metricsFile, report,
        };
        distributed.AddTo(cmd);
        cmd.SetAction((parse, ct) => RunAsync(new RunRequest(
            parse.GetValue(file)?.FullName,
            parse.GetValue(duration),
            parse.GetValue(events),
            parse.GetValue(summary)?.FullName,
            parse.GetValue(metrics),
            parse.GetValue(progress)!,
            parse.GetValue(interval),
            parse.GetValue(quiet))
        {
            Distributed = distributed.Read(parse),
            Control = parse.GetValue(control),
            LoadBalancer = parse.GetValue(lb),
            NodeName = parse.GetValue(nodeName),
            MetricsFile = parse.GetValue(metricsFile)?.FullName,
            Report = parse.GetValue(report),
        }));
        return cmd;
    }

    internal sealed record RunRequest(string? Pipeline, double? Duration, long? Events, string? SummaryJson, string? MetricsListen, string Progress, double ProgressInterval, bool Quiet)
    {
        /// <summary>Coordinator settings for stages placed on workers (null: none given).</summary>
        public DistributedRequest? Distributed { get; init; }

        /// <summary>Control law override (<c>--control</c>).</summary>
        public string? Control { get; init; }

        /// <summary>EJFAT URI the pipeline's receivers register with (<c>--lb</c>).</summary>
        public string? LoadBalancer { get; init; }

        /// <summary>The node's name at the load balancer (<c>--node-name</c>).</summary>
        public string? NodeName { get; init; }

        /// <summary>Where the metrics endpoint's HOST:PORT is written (<c>--metrics-file</c>).</summary>
        public string? MetricsFile { get; init; }

        /// <summary>The run report's folder (<c>--report</c>; 'off': none; null: <see cref="DefaultReport"/> for the embedded default).</summary>
        public string? Report { get; init; }

        /// <summary>The report folder this run writes to, or null for none.</summary>
        public string? ReportDirectory => Report switch
        {
            null => Pipeline is null ? Path.GetFullPath(DefaultReport) : null,
            "off" => null,
            var dir => Path.GetFullPath(dir),
        };
    }

    /// <summary>Where the embedded default pipeline's report goes.</summary>
    public const string DefaultReport = "out/report";

    internal static async Task<int> RunAsync(RunRequest req)
    {
        var stderr = Console.Error;
        if (req.Duration is <= 0) return Usage(stderr, "--duration must be positive");
        if (req.Events is <= 0) return Usage(stderr, "--events must be positive");
        if (req.ProgressInterval <= 0) return Usage(stderr, "--progress-interval must be positive");
        if (req.SummaryJson is { } summaryPath && Engine.Operators.OutputCheck.FileProblem(summaryPath) is { } why) return Usage(stderr, $"--summary-json: {why}");
        if (req.MetricsListen is { } ml && !ListenAddress.IsOff(ml) && ListenAddress.TryParse(ml, out _, anyPort: true) is { } bad)
        {
            return Usage(stderr, $"--metrics-listen: {bad}");
        }

        if (req.ReportDirectory is { } rd && Engine.Operators.OutputCheck.FileProblem(Path.Combine(rd, Reporting.Report.HtmlReport.FileName)) is { } rdWhy) return Usage(stderr, $"--report: {rdWhy}");
        if (req.MetricsFile is { } mf && Engine.Operators.OutputCheck.FileProblem(mf) is { } mfWhy) return Usage(stderr, $"--metrics-file: {mfWhy}");
        if (req.Pipeline is { } file && PipelineFiles.ControlOnly(file) is { } controlOnly) return await ElasticCommand.RunAsync(controlOnly, req).ConfigureAwait(false);
        var plan = PipelineFiles.LoadAndPlan(req.Pipeline, OperatorSet.Create(), stderr, out var invalidExit, req.LoadBalancer, req.NodeName);
        if (plan is null) return invalidExit;
        return await ExecuteAsync(plan, req).ConfigureAwait(false);
    }

    /// <summary>Runs a planned pipeline with progress, metrics, signals and the summary (shared with <c>receive</c>).</summary>
    internal static async Task<int> ExecuteAsync(Engine.Spec.PipelinePlan plan, RunRequest req)
    {
        var stderr = Console.Error;

        var live = req.Progress == "live" || (req.Progress == "auto" && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);
        var tail = live ? new LogTail() : null;
        var view = new Live.LiveRun(plan); // the live web view on the metrics port: the log's controller lines, snapshots, workers
        var log = new RunLog(view.Tap(tail ?? stderr), req.Quiet ? RunLogLevel.Warning : RunLogLevel.Info);
        Control.Live.ControllerSettings? control;
        try
        {
            control = Control.Live.ControllerSettings.From(plan, req.Control);
        }
        catch (Engine.Operators.ConfigException e)
        {
            stderr.WriteLine(e.Location is { } at ? $"{at}: error: {e.Message}" : $"error: {e.Message}");
            return InvalidPipelineExit;
        }

        Transports.ZeroMq.Coordination.Coordinator? coordinator;
        try
        {
            coordinator = DistributedOptions.StartCoordinator(plan, req.Distributed, log);
        }
        catch (Exception e) when (e is ArgumentException or Transports.ZeroMq.Security.CurveKeyException or NetMQ.NetMQException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return InvalidPipelineExit;
        }

        using var coordinatorLifetime = coordinator;
        using var pipeline = Pipeline.Create(plan, new PipelineOptions
        {
            Log = log,
            Registry = Streams.Engine.Metrics.MetricsRegistry.Process,
            EventLimit = req.Events ?? 0,
            Duration = req.Duration is { } d ? TimeSpan.FromSeconds(d) : null,
            RemoteStages = coordinator,
        });
        if (coordinator is not null) pipeline.AddSummarySection("workers", coordinator.Summary);
        view.Attach(pipeline, coordinator is null ? null : coordinator.Summary);
        var recorder = req.ReportDirectory is null ? null : new Report.ReportRecorder(plan.Name, control?.Nodes is null ? null : pipeline.Registry);
        recorder?.Follow(pipeline, view);
        if (control?.Nodes is not null && coordinator is null)
        {
            stderr.WriteLine("error: control.node-provider is set but no stage has 'placement: workers' (nodes serve stages on workers)");
            return InvalidPipelineExit;
        }

        var nodes = control?.Nodes is { } ns && coordinator is not null ? NodeProviders.Create(ns, coordinator, plan.Name, Path.GetFullPath(Path.Combine("out", "nodes"))) : null;
        using var nodesLifetime = nodes as IDisposable;
        using var controller = control is null ? null : new Control.Live.ControllerHost(pipeline, control, log, coordinator, nodes);
        // A port the user did not choose is never taken from another run: the default falls back to a free one.
        var fixedMetrics = req.MetricsListen ?? plan.Spec.MetricsListen;
        using var endpoint = MetricsEndpoint.Start(fixedMetrics ?? MetricsEndpoint.Default, pipeline.Registry, log, anyPortIfBusy: fixedMetrics is null, live: view);
        coordinator?.ScrapeTargets?.SetCoordinator(endpoint.Address);
        if (req.MetricsFile is { } announce) AnnounceMetrics(announce, endpoint, log);
        using var signals = new ShutdownSignals(pipeline.StopIntake, m => log.Warn("", m), reason =>
        {
            // A second signal: the outputs are closed readable and the summary says what was lost; then exit 130.
            var aborted = pipeline.Abort(reason);
            SummaryPrinter.Print(aborted, rich: false);
            stderr.WriteLine($"error: {aborted.ExitReason}");
            if (req.SummaryJson is { } at) TryWriteSummary(at, aborted, stderr);
            if (recorder is not null) TryWriteReport(recorder, req.ReportDirectory!, aborted, log, stderr);
        });

        PipelineSummary result;
        if (live)
        {
            var size = () => (AnsiConsole.Profile.Width, AnsiConsole.Profile.Height);
            result = await AnsiConsole.Live(LiveTable.Render(null, plan.Name, endpoint.Url, [], size().Width, size().Height))
                .AutoClear(false)
                .Overflow(VerticalOverflow.Crop)
                .StartAsync(async ctx =>
                {
                    PipelineSnapshot? last = null;
                    pipeline.Sampled += s =>
                    {
                        last = s;
                        ctx.UpdateTarget(LiveTable.Render(s, plan.Name, endpoint.Url, tail!.Last(6), size().Width, size().Height));
                    };
                    var done = await pipeline.RunAsync().ConfigureAwait(false);
                    // The last view stays on the screen without its log lines: they follow it, each printed once.
                    ctx.UpdateTarget(LiveTable.Render(last, plan.Name, endpoint.Url, [], size().Width, size().Height));
                    return done;
                }).ConfigureAwait(false);
            tail!.Release(stderr);
        }
        else
        {
            if (req.Progress != "none")
            {
                var lines = new ProgressLines(stderr, TimeSpan.FromSeconds(req.ProgressInterval));
                pipeline.Sampled += lines.OnSample;
            }

            result = await pipeline.RunAsync().ConfigureAwait(false);
        }

        coordinator?.Stop("run finished");
        if (req.MetricsFile is { } announced) File.Delete(announced); // announced while it serves: a control process stops scraping it
        SummaryPrinter.Print(result, live);
        var summaryWritten = true;
        if (req.SummaryJson is { } path && (summaryWritten = TryWriteSummary(path, result, stderr))) log.Info("", $"summary written to {path}");

        var reportWritten = recorder is null || TryWriteReport(recorder, req.ReportDirectory!, result, log, stderr);

        if (!result.Ok) stderr.WriteLine($"error: {result.ExitReason}");
        return result.Ok && !(summaryWritten && reportWritten) ? ExitCodes.OutputFailed : result.ExitCode;
    }

    /// <summary>
    /// <c>--metrics-file</c>: the endpoint's HOST:PORT, written whole (a node provider or a control process reads it to
    /// scrape the node and to list it for Prometheus); a note in the log when no endpoint runs.
    /// </summary>
    internal static void AnnounceMetrics(string path, MetricsEndpoint endpoint, RunLog log)
    {
        if (endpoint.Address is not { } address)
        {
            log.Warn("", $"--metrics-file {path}: no metrics endpoint runs, nothing to announce");
            return;
        }

        if (WholeFile.TryWrite(path, address + "\n") is { } error) log.Warn("", $"--metrics-file: could not write {error}");
    }

    /// <summary>Writes the summary JSON (whole or not at all: <see cref="WholeFile"/>).</summary>
    private static bool TryWriteSummary(string path, PipelineSummary summary, TextWriter stderr)
    {
        if (WholeFile.TryWrite(path, summary.ToJson()) is not { } error) return true;
        stderr.WriteLine($"error: could not write the summary to {error}");
        return false;
    }

    /// <summary>Writes the run report (whole or not at all) and logs where.</summary>
    private static bool TryWriteReport(Report.ReportRecorder recorder, string directory, PipelineSummary summary, RunLog log, TextWriter stderr)
    {
        var (path, error) = recorder.Write(directory, summary);
        if (error is not null) stderr.WriteLine($"error: {error}");
        else log.Info("", $"report written to {path}");
        return error is null;
    }

    private static int Usage(TextWriter w, string message)
    {
        w.WriteLine($"error: {message}");
        return CliErrors.UsageExit;
    }
}

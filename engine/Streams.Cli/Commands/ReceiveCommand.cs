using System.CommandLine;
using System.Globalization;
using Streams.Engine.Spec;

namespace Streams.Cli.Commands;

/// <summary>
/// <c>streams receive</c>: an EJFAT receiver writing an Arrow file, in one line. It is the two-stage pipeline
/// <c>ejfat-receiver -> arrow-file-sink</c> (or <c>count</c> without --out), run like <c>streams run</c>.
/// </summary>
internal static class ReceiveCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port", "-p") { Description = "First UDP data port (0: any free port, with --port-range 0; with --lb the port it got is registered).", DefaultValueFactory = _ => 19522 }.Range(0, 65535);
        var range = new Option<int>("--port-range") { Description = "Listen on 2^K consecutive ports.", DefaultValueFactory = _ => 0, HelpName = "K" }.Range(0, 10);
        var lb = new Option<string>("--lb-header") { Description = "LB header in front of the RE header: auto, yes or no.", DefaultValueFactory = _ => "auto" };
        lb.AcceptOnlyFromAmong("auto", "yes", "no");
        var bind = new Option<string>("--bind") { Description = "Address to listen on.", DefaultValueFactory = _ => "0.0.0.0" };
        var threads = new Option<int>("--threads") { Description = "Receive threads (0: one per port, at most 4).", DefaultValueFactory = _ => 0 }.Range(0, 64);
        var timeout = new Option<double>("--timeout-ms") { Description = "Drop an incomplete event after this long without a segment.", DefaultValueFactory = _ => 500 }.Positive();
        var rcvbuf = new Option<int>("--recv-buffer-mb") { Description = "Kernel receive buffer per socket in MiB (forced past net.core.rmem_max when root).", DefaultValueFactory = _ => 256 }.Range(1, 4096);
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Arrow IPC file to write (without it, events are only counted).", HelpName = "FILE.arrow" };
        var events = new Option<long?>("--events", "-n") { Description = "Stop after this many events.", HelpName = "N" }.PositiveIfGiven();
        var duration = new Option<double?>("--duration", "-d") { Description = "Stop after this many seconds.", HelpName = "SECONDS" }.PositiveIfGiven();
        var summary = new Option<FileInfo?>("--summary-json") { Description = "Write the run summary (with its \"ejfat\" section) as JSON.", HelpName = "FILE" };
        var metrics = new Option<string?>("--metrics-listen") { Description = "Prometheus endpoint HOST:PORT, or 'off'.", HelpName = "HOST:PORT" };
        var progress = new Option<string>("--progress") { Description = "auto, live, log or none.", DefaultValueFactory = _ => "auto" };
        progress.AcceptOnlyFromAmong("auto", "live", "log", "none");
        var lbUri = new Option<string?>("--lb") { Description = "Register with this EJFAT load balancer (ejfat[s]://TOKEN@HOST:PORT/lb/ID?...) and report the queue fill; deregister and drain at the end.", HelpName = "URI" };
        var name = new Option<string?>("--name") { Description = "Member name at the load balancer (default HOST-PORT).", HelpName = "NAME" };
        var cmd = new Command("receive", "Receive an EJFAT stream (reassembling events) into an Arrow file: the pipeline ejfat-receiver -> arrow-file-sink.")
        {
            port, range, lb, bind, threads, timeout, rcvbuf, output, events, duration, summary, metrics, progress, lbUri, name,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(events) is null && parse.GetValue(duration) is null)
            {
                return CliErrors.Usage("give --events N or --duration SECONDS (or both)");
            }

            var inv = CultureInfo.InvariantCulture;
            var outPath = parse.GetValue(output)?.FullName;
            var sink = outPath is null
                ? "{name: out, operator: count, input: receiver, queue: 1024}"
                : $"{{name: out, operator: arrow-file-sink, input: receiver, queue: 1024, config: {{path: '{outPath.Replace("'", "''", StringComparison.Ordinal)}'}}}}";
            var yaml = string.Create(inv, $$"""
                name: receive
                sources:
                  - name: receiver
                    operator: ejfat-receiver
                    config: {port: {{parse.GetValue(port)}}, port-range: {{parse.GetValue(range)}}, lb-header: {{parse.GetValue(lb)}}, bind: '{{parse.GetValue(bind)}}', threads: {{parse.GetValue(threads)}}, timeout-ms: {{parse.GetValue(timeout)}}, recv-buffer-mb: {{parse.GetValue(rcvbuf)}}}
                sinks:
                  - {{sink}}
                """);
            var loaded = PipelineLoader.Load(yaml, "<streams receive>");
            if (loaded.Spec is { } spec)
            {
                if (parse.GetValue(lbUri) is { } uri) PipelineFiles.WithLoadBalancer(spec, uri);
                if (parse.GetValue(name) is { } n) spec.Nodes[0].Config["lb-name"] = new Engine.Operators.ConfigValue(n, null, new Engine.Operators.SourceLocation("--name", 1, 1));
            }

            var planned = loaded.Ok ? PipelinePlanner.Plan(loaded.Spec!, OperatorSet.Create()) : null;
            if (planned is null || !planned.Ok)
            {
                // The options are turned into receiver parameters; one that the receiver refuses is a usage error.
                var problems = loaded.Diagnostics.Concat(planned?.Diagnostics ?? []).ToList();
                foreach (var d in problems) Console.Error.WriteLine($"error: {d.Message}");
                return problems.All(d => d.Output) ? Engine.Runtime.ExitCodes.OutputFailed : CliErrors.UsageExit;
            }

            return await RunCommand.ExecuteAsync(planned.Plan!, new RunCommand.RunRequest(
                null, parse.GetValue(duration), parse.GetValue(events), parse.GetValue(summary)?.FullName, parse.GetValue(metrics) ?? "off",
                parse.GetValue(progress)!, 5, false) { Report = "off" }).ConfigureAwait(false); // no file: not the embedded default, so no report
        });
        return cmd;
    }
}

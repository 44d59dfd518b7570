using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using Streams.Transports.Ejfat.ControlPlane;
using Streams.Transports.Ejfat.ControlPlane.Wire;

namespace Streams.Cli.Commands;

internal static partial class LbCommand
{
    /// <summary><c>streams lb status</c>: the members of one instance (an instance token) or of all (the admin token).</summary>
    private static Command CreateStatus()
    {
        var control = new Option<string>("--control") { Description = "The control plane's HOST:PORT.", DefaultValueFactory = _ => DefaultControl, HelpName = "HOST:PORT" };
        var token = new Option<string?>("--token") { Description = "Admin token (every instance) or an instance token (with --lb-id). Default: $STREAMS_LB_ADMIN_TOKEN.", HelpName = "TOKEN" };
        var id = new Option<string?>("--lb-id") { Description = "Only this instance.", HelpName = "ID" };
        var uri = new Option<string?>("--uri") { Description = "An EJFAT URI instead of --control/--token/--lb-id (its token, host and instance).", HelpName = "URI" };
        var json = new Option<bool>("--json") { Description = "Print the replies as JSON (the protobuf JSON mapping)." };
        var tls = new Option<bool>("--tls") { Description = "The control plane serves TLS (ejfats://)." };
        var cmd = new Command("status", "Show a load balancer's members: slots, fill, control signal, their counters (udplbd's LoadBalancerStatus, or Overview for every instance).")
        {
            control, token, id, uri, json, tls,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            EjfatUri target;
            if (parse.GetValue(uri) is { } text)
            {
                if (!EjfatUri.TryParse(text, out var u, out var error)) return CliErrors.Usage($"--uri: {error}");
                target = u!;
            }
            else
            {
                if (Engine.Spec.ListenAddress.TryParse(parse.GetValue(control)!, out var a) is { } bad) return CliErrors.Usage($"--control: {bad}");
                var t = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("STREAMS_LB_ADMIN_TOKEN");
                if (string.IsNullOrEmpty(t)) return CliErrors.Usage("give --token (or set STREAMS_LB_ADMIN_TOKEN), or --uri");
                target = new EjfatUri(parse.GetValue(tls), t, a.Host, a.Port, parse.GetValue(id), null, null);
            }

            using var client = new LbClient(target);
            try
            {
                var replies = new List<(string Id, string Name, LoadBalancerStatusReply Status)>();
                if (target.LbId is { } lbId)
                {
                    replies.Add((lbId, "", await client.StatusAsync(ct).ConfigureAwait(false)));
                }
                else
                {
                    var overview = await client.Calls.OverviewAsync(new OverviewRequest(), client.Options(ct: ct)).ConfigureAwait(false);
                    replies.AddRange(overview.LoadBalancers.Select(o => (o.Reservation.LbId, o.Name, o.Status)));
                }

                if (parse.GetValue(json))
                {
                    var formatter = new Google.Protobuf.JsonFormatter(Google.Protobuf.JsonFormatter.Settings.Default.WithFormatDefaultValues(true));
                    Console.WriteLine("[" + string.Join(",\n", replies.Select(r => $"{{\"lbId\": {JsonSerializer.Serialize(r.Id)}, \"name\": {JsonSerializer.Serialize(r.Name)}, \"status\": {formatter.Format(r.Status)}}}")) + "]");
                }
                else
                {
                    foreach (var r in replies) PrintStatus(r.Id, r.Name, r.Status);
                }

                return 0;
            }
            catch (RpcException e)
            {
                return CliErrors.Fail($"{target.ControlHost}:{target.ControlPort}: {LbClient.Describe(e)}");
            }
        });
        return cmd;
    }

    private static void PrintStatus(string id, string name, LoadBalancerStatusReply s)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"load balancer {id}{(name.Length > 0 ? $" '{name}'" : "")}: epoch {s.CurrentEpoch}, predicted event {s.CurrentPredictedEventNumber}, {s.Workers.Count} member(s), senders [{string.Join(", ", s.SenderAddresses)}]"));
        if (s.Workers.Count == 0) return;
        Console.WriteLine(string.Create(inv, $"  {"member",-24} {"address",-21} {"slots",5} {"fill",5} {"signal",7} {"events recv",12} {"reassembled",12} {"errors",7} {"queue full",10} {"packets",12} {"last state",10}"));
        foreach (var w in s.Workers)
        {
            var age = (s.Timestamp.ToDateTimeOffset() - w.LastUpdated.ToDateTimeOffset()).TotalSeconds;
            Console.WriteLine(string.Create(inv, $"  {w.Name,-24} {$"{w.IpAddress}:{w.UdpPort}",-21} {w.SlotsAssigned,5} {w.FillPercent,5:0.00} {w.ControlSignal,7:0.000} {w.TotalEventsRecv,12} {w.TotalEventsReassembled,12} {w.TotalEventsReassemblyErr,7} {w.TotalEventEnqueueErr,10} {w.TotalPacketsRecv,12} {age,8:0.0} s"));
        }
    }
}

using System.CommandLine;
using System.Globalization;
using System.Net;
using Streams.Engine.Spec;
using Streams.LoadBalancer.Forwarding;
using Streams.LoadBalancer.Hosting;
using Streams.LoadBalancer.Instances;
using Streams.Transports.Ejfat.ControlPlane.Wire;

namespace Streams.Cli.Commands;

/// <summary>
/// <c>streams lb</c>: a software EJFAT load balancer (udplbd's gRPC control plane and the FPGA's data plane in one
/// process), and <c>streams lb status</c>, its table of members.
/// </summary>
internal static partial class LbCommand
{
    public const string DefaultControl = "127.0.0.1:18347";

    public static Command Create()
    {
        var control = new Option<string>("--control") { Description = "Serve the gRPC control plane (udplbd's LoadBalancer service) at HOST:PORT (port 0: any free port; --uri-file tells it).", DefaultValueFactory = _ => DefaultControl, HelpName = "HOST:PORT" };
        var data = new Option<string>("--data") { Description = "Data address of the first instance (senders send here); instance k listens on PORT + k.", DefaultValueFactory = _ => "127.0.0.1:19522", HelpName = "HOST:PORT" };
        var sync = new Option<string?>("--sync") { Description = "Receive the senders' Sync packets at HOST:PORT (epoch boundaries predicted from them; without: from the ticks forwarded).", HelpName = "HOST:PORT" };
        var admin = new Option<string?>("--admin-token") { Description = "The admin token (Reserve, Free, Overview). Default: $STREAMS_LB_ADMIN_TOKEN, else a random one, printed.", HelpName = "TOKEN" };
        var reserve = new Option<string?>("--reserve") { Description = "Reserve one instance named NAME at start.", HelpName = "NAME" };
        var uriFile = new Option<FileInfo?>("--uri-file") { Description = "With --reserve: write its EJFAT URI (with the instance token) to FILE, for senders and node pipelines.", HelpName = "FILE" };
        var senders = new Option<string[]>("--sender") { Description = "With --reserve: allow datagrams from these addresses (senders may also add themselves: AddSenders).", AllowMultipleArgumentsPerToken = true, HelpName = "IP" };
        var maxInstances = new Option<int>("--max-instances") { Description = "Instances that may be reserved at once.", DefaultValueFactory = _ => 4, HelpName = "N" }.Range(1, 64);
        var metrics = new Option<string>("--metrics-listen") { Description = "Serve Prometheus metrics at http://HOST:PORT/metrics ('off': none).", DefaultValueFactory = _ => "off", HelpName = "HOST:PORT" };
        var cert = new Option<FileInfo?>("--tls-cert") { Description = "PEM certificate: serve TLS (ejfats://).", HelpName = "FILE.pem" };
        var key = new Option<FileInfo?>("--tls-key") { Description = "PEM private key of --tls-cert.", HelpName = "FILE.pem" };
        var duration = new Option<double?>("--duration", "-d") { Description = "Stop after this many seconds (default: until Ctrl+C or SIGTERM).", HelpName = "SECONDS" }.PositiveIfGiven();
        var summary = new Option<FileInfo?>("--summary-json") { Description = "At the stop, write the books as JSON: per instance the events each sender sent (its Sync packets), datagrams received, dropped by reason and forwarded, and per member (also those that left) what it last reported.", HelpName = "FILE" };
        var statusEvery = new Option<double>("--status-interval") { Description = "Print a status line per instance and member (drops by reason, datagrams forwarded) every this many seconds (0: never).", DefaultValueFactory = _ => 5, HelpName = "SECONDS" }.NotNegative();
        var cmd = new Command("lb", """
            Run a software EJFAT load balancer: udplbd's gRPC control plane (Reserve, Register, SendState, ...) and a data
            plane that forwards each event's datagrams to one registered receiver by the epoch's 512-slot calendar.
            Example: streams lb --reserve demo --uri-file out/lb.uri   then   streams run node.yaml --lb "$(cat out/lb.uri)"
            """)
        {
            control, data, sync, admin, reserve, uriFile, senders, maxInstances, metrics, cert, key, duration, statusEvery, summary,
        };
        cmd.Subcommands.Add(CreateStatus());
        cmd.SetAction((parse, ct) => ServeAsync(new ServeRequest(
            parse.GetValue(control)!, parse.GetValue(data)!, parse.GetValue(sync), parse.GetValue(admin), parse.GetValue(reserve), parse.GetValue(uriFile)?.FullName,
            parse.GetValue(senders) ?? [], parse.GetValue(maxInstances), parse.GetValue(metrics)!, parse.GetValue(cert)?.FullName, parse.GetValue(key)?.FullName,
            parse.GetValue(duration), parse.GetValue(statusEvery)) { SummaryJson = parse.GetValue(summary)?.FullName }));
        return cmd;
    }

    private sealed record ServeRequest(string Control, string Data, string? Sync, string? AdminToken, string? Reserve, string? UriFile, string[] Senders, int MaxInstances,
        string Metrics, string? TlsCert, string? TlsKey, double? Duration, double StatusInterval)
    {
        public string? SummaryJson { get; init; }
    }

    private static async Task<int> ServeAsync(ServeRequest req)
    {
        var stderr = Console.Error;
        if (ListenAddress.TryResolve(req.Control, out var controlEp, anyPort: true) is { } e1) return CliErrors.Usage($"--control: {e1}");
        if (ListenAddress.TryResolve(req.Data, out var dataEp, anyPort: true) is { } e2) return CliErrors.Usage($"--data: {e2}");
        IPEndPoint? syncEp = null;
        if (req.Sync is { } s && ListenAddress.TryResolve(s, out syncEp, anyPort: true) is { } e3) return CliErrors.Usage($"--sync: {e3}");
        IPEndPoint? metricsEp = null;
        if (!ListenAddress.IsOff(req.Metrics) && ListenAddress.TryResolve(req.Metrics, out metricsEp, anyPort: true) is { } e4) return CliErrors.Usage($"--metrics-listen: {e4}");
        if ((req.TlsCert is null) != (req.TlsKey is null)) return CliErrors.Usage("give --tls-cert and --tls-key together");
        if (req.SummaryJson is { } summaryPath && Engine.Operators.OutputCheck.FileProblem(summaryPath) is { } bad) return CliErrors.Usage($"--summary-json: {bad}");
        if (req.UriFile is not null && req.Reserve is null) return CliErrors.Usage("--uri-file needs --reserve NAME");
        if (req.Senders.Length > 0 && req.Reserve is null) return CliErrors.Usage("--sender needs --reserve NAME");
        var senderIps = new List<IPAddress>();
        foreach (var a in req.Senders)
        {
            if (!IPAddress.TryParse(a, out var ip)) return CliErrors.Usage($"--sender: '{a}' is not an IP address");
            senderIps.Add(ip);
        }

        var adminToken = req.AdminToken ?? Environment.GetEnvironmentVariable("STREAMS_LB_ADMIN_TOKEN");
        var generated = string.IsNullOrEmpty(adminToken);
        if (generated) adminToken = Tokens.New();
        LbServer server;
        try
        {
            server = await LbServer.StartAsync(
                new LbServerOptions { Control = controlEp!, Metrics = metricsEp, Tls = req.TlsCert is null ? null : (req.TlsCert, req.TlsKey!) },
                new LbOptions { Data = dataEp!, Sync = syncEp, AdminToken = adminToken!, MaxInstances = req.MaxInstances },
                ForwardingDataPlane.Factory).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException)
        {
            return CliErrors.Fail(e.Message);
        }

        await using var lifetime = server;
        var scheme = server.Tls ? "ejfats" : "ejfat";
        stderr.WriteLine($"streams lb: control plane {scheme}://{server.Control} (gRPC, compat {Streams.LoadBalancer.Service.LoadBalancerService.CompatTag}), data from {dataEp}{(req.MaxInstances > 1 ? $" (instance k: port +k, {req.MaxInstances} at most)" : "")}, sync {(server.SyncAddress?.ToString() ?? "off (boundaries from forwarded ticks)")}{(server.MetricsAddress is { } m ? $", metrics http://{m}/metrics" : "")}");
        if (generated) Console.WriteLine($"admin token: {adminToken}");
        if (req.Reserve is { } name)
        {
            var uri = await ReserveAtStartAsync(server, name, senderIps, adminToken!).ConfigureAwait(false);
            if (uri is null) return CliErrors.Fail("could not reserve the load balancer instance at start");
            // Readable by the owner alone: it holds the instance token.
            if (req.UriFile is { } file && WholeFile.TryWrite(file, uri + "\n", ownerOnly: true) is { } why) return CliErrors.Fail($"--uri-file: {why}");
            Console.WriteLine($"reserved '{name}': {uri}"); // after the file: a script that sees this line finds the file
        }

        using var stop = new CancellationTokenSource();
        using var signals = ShutdownSignals.Cancelling(stop);
        if (req.Duration is { } d) stop.CancelAfter(TimeSpan.FromSeconds(d));
        var interval = req.StatusInterval > 0 ? TimeSpan.FromSeconds(req.StatusInterval) : Timeout.InfiniteTimeSpan;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(interval, stop.Token).ConfigureAwait(false);
                foreach (var line in StatusLines(server.Registry)) stderr.WriteLine(line);
            }
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var line in StatusLines(server.Registry)) stderr.WriteLine(line);
        if (req.SummaryJson is { } path)
        {
            if (WholeFile.TryWrite(path, LbReport.ToJson(server.Registry)) is { } why) return CliErrors.Fail($"--summary-json: {why}");
            stderr.WriteLine($"streams lb: books written to {path}");
        }

        stderr.WriteLine("streams lb: stopped");
        return 0;
    }

    /// <summary>Reserves through the server's own gRPC endpoint, as any client would (so the reply is what a client gets).</summary>
    private static async Task<string?> ReserveAtStartAsync(LbServer server, string name, List<IPAddress> senders, string adminToken)
    {
        var uri = new Transports.Ejfat.ControlPlane.EjfatUri(server.Tls, adminToken, Loopback(server.Control), server.Control.Port, null, null, null);
        using var client = new Transports.Ejfat.ControlPlane.LbClient(uri);
        var request = new ReserveLoadBalancerRequest { Name = name };
        request.SenderAddresses.AddRange(senders.Select(a => a.ToString()));
        try
        {
            var reply = await client.Calls.ReserveLoadBalancerAsync(request, client.Options()).ConfigureAwait(false);
            return reply.EjfatUri;
        }
        catch (Grpc.Core.RpcException e)
        {
            Console.Error.WriteLine($"error: reserve: {Transports.Ejfat.ControlPlane.LbClient.Describe(e)}");
            return null;
        }
    }

    private static string Loopback(IPEndPoint ep) =>
        ep.Address.Equals(IPAddress.Any) ? "127.0.0.1" : ep.Address.Equals(IPAddress.IPv6Any) ? "::1" : ep.Address.ToString();

    private static IEnumerable<string> StatusLines(LbRegistry registry)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var (instance, data) in registry.All)
        {
            var d = data.Drops;
            yield return string.Create(inv, $"lb {instance.Id} '{instance.Name}': epoch {instance.CurrentEpoch}, {instance.Sessions.Count} member(s), received {data.Received} datagrams, dropped {d.Total} (sender not allowed {d.SenderNotAllowed}, bad header {d.BadHeader}, no epoch {d.NoEpoch}, no member {d.NoMember})");
            foreach (var s in instance.Sessions)
            {
                yield return string.Create(inv, $"  {s.Name,-24} {s.Address}:{s.BasePort} slots {s.Slots,3} fill {s.LastReport?.Fill ?? 0:0.00} signal {s.LastReport?.ControlSignal ?? 0,6:0.000} forwarded {Volatile.Read(ref s.Counters.Packets)} datagrams / {Volatile.Read(ref s.Counters.Bytes) / 1e6:0.0} MB");
            }
        }
    }
}

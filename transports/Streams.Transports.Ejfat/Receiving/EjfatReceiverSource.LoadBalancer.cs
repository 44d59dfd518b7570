using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.Ejfat.ControlPlane;

namespace Streams.Transports.Ejfat.Receiving;

/// <summary>
/// The receiver as a member of an EJFAT load balancer (<c>lb: ejfat://TOKEN@HOST:PORT/lb/ID?...</c>): it registers,
/// reports its queue fill and control signal every 100 ms, and drains without loss: at the intake stop it tells the
/// load balancer it is no longer ready (which deals its slots away at once, from the next epoch's boundary), keeps
/// receiving until nothing has arrived for <c>drain-quiet-ms</c>, reports its final counters (so that the load
/// balancer's books hold every event it received) and deregisters; then the pipeline finishes what it holds.
/// </summary>
internal sealed partial class EjfatReceiverSource
{
    // A property, not a field: Descriptor (in the other part of this class) reads it during static initialisation.
    private static ParameterSpec[] LoadBalancerParameters =>
    [
        new("lb", ParameterType.String, "", "Register with this EJFAT load balancer: ejfat[s]://TOKEN@HOST:PORT/lb/ID?data=IP:PORT&sync=IP:PORT ('': none; `streams run --lb URI` sets it)."),
        new("lb-name", ParameterType.String, "", "Member name at the load balancer ('': HOST-PORT, with the port it listens on)."),
        new("lb-address", ParameterType.String, "", "Address the load balancer sends to ('': 'bind' unless it is a wildcard, else the local address towards the load balancer)."),
        new("lb-weight", ParameterType.Double, "1", "Initial weight at the load balancer.") { Min = 0 },
        new("lb-min-factor", ParameterType.Double, "0", "Least share of the slots, as a multiple of the fair share.") { Min = 0 },
        new("lb-max-factor", ParameterType.Double, "0", "Most share of the slots, as a multiple of the fair share (0: no maximum).") { Min = 0 },
        new("lb-keep-header", ParameterType.Bool, "false", "Ask the load balancer to keep the LB header on forwarded datagrams."),
        new("drain-quiet-ms", ParameterType.Double, "500", "After deregistering, stop receiving once nothing has arrived for this long.") { Min = 1 },
        new("drain-max-seconds", ParameterType.Double, "10", "After deregistering, stop receiving after this long in any case (datagrams still arriving are then lost and counted).") { Min = 0.1 },
    ];

    /// <summary>A receiver's load-balancer settings, from its parameters.</summary>
    private sealed record LbSettings(EjfatUri Uri, string? Name, IPAddress? Address, double Weight, double MinFactor, double MaxFactor, bool KeepHeader, TimeSpan DrainQuiet, TimeSpan DrainMax);

    private static LbSettings? ConfigureLoadBalancer(OperatorConfig config, IPAddress bind)
    {
        var text = config.GetString("lb");
        if (string.IsNullOrWhiteSpace(text)) return null;
        var location = config.Values.GetValueOrDefault("lb")?.Location;
        if (!EjfatUri.TryParse(text, out var uri, out var error)) throw new ConfigException($"stage '{config.StageName}': 'lb': {error}", location);
        if (uri!.LbId is null) throw new ConfigException($"stage '{config.StageName}': 'lb': the URI names no load balancer (…/lb/ID)", location);
        IPAddress? address = null;
        var a = config.GetString("lb-address");
        if (a.Length > 0 && !IPAddress.TryParse(a, out address)) throw new ConfigException($"stage '{config.StageName}': 'lb-address' is not an IP address: '{a}'", config.Values.GetValueOrDefault("lb-address")?.Location);
        if (address is null && !bind.Equals(IPAddress.Any) && !bind.Equals(IPAddress.IPv6Any)) address = bind;
        var min = config.GetDouble("lb-min-factor");
        var max = config.GetDouble("lb-max-factor");
        if (max > 0 && max < min) throw new ConfigException($"stage '{config.StageName}': 'lb-max-factor' {max} is below 'lb-min-factor' {min}");
        var name = config.GetString("lb-name");
        return new LbSettings(uri, name.Length > 0 ? name : null, address, config.GetDouble("lb-weight"), min, max,
            config.GetBool("lb-keep-header"), TimeSpan.FromMilliseconds(config.GetDouble("drain-quiet-ms")), TimeSpan.FromSeconds(config.GetDouble("drain-max-seconds")));
    }

    /// <summary>The local address the load balancer reaches this host on: the one the kernel would send from towards it.</summary>
    private static IPAddress RouteAddress(EjfatUri uri) =>
        LbSenders.LocalAddressTowards(uri.Data?.Address ?? (IPAddress.TryParse(uri.ControlHost, out var c) ? c : Dns.GetHostAddresses(uri.ControlHost).First()));

    private Membership StartMembership(LbSettings lb, SourceContext context, ReceiveThread[] workers)
    {
        var c = _config;
        var name = lb.Name ?? $"{Dns.GetHostName()}-{BoundPorts[0]}"; // the port it got, when it asked for any
        var registration = new MemberRegistration(name, lb.Weight, lb.Address ?? RouteAddress(lb.Uri), BoundPorts[0], System.Numerics.BitOperations.Log2((uint)c.Ports), lb.MinFactor, lb.MaxFactor, lb.KeepHeader);
        var client = new LbClient(lb.Uri);
        var draining = new System.Runtime.CompilerServices.StrongBox<bool>();
        var membership = new LbMembership(client, registration, () =>
        {
            var t = Totals(workers);
            return new MemberSample(context.OutputFill, c.Feedback.Signal, !draining.Value,
                t.EventsCompleted + t.EventsLostTimeout + t.EventsLostMemory, t.EventsCompleted, t.EventsLostTimeout + t.EventsLostMemory,
                t.EventsCompleted - t.EventsLostQueueFull, t.EventsLostQueueFull, t.Bytes, t.Packets);
        }, m => context.Log.Info(context.StageName, m), m => context.Log.Warn(context.StageName, m), context.Time);
        var stop = new CancellationTokenSource();
        var loop = Task.Run(() => membership.RunAsync(stop.Token));
        context.AddSummarySection("loadBalancer", () => new
        {
            uri = (lb.Uri with { Token = null }).ToString(),
            name,
            address = $"{registration.Address}:{registration.UdpPort}",
            registrations = Interlocked.Read(ref membership.Registrations),
            statesSent = Interlocked.Read(ref membership.StatesSent),
            failedCalls = Interlocked.Read(ref membership.Failures),
            deregistered = draining.Value,
        });
        return new Membership(membership, client, stop, loop, draining);
    }

    /// <summary>
    /// Says it is not ready (its slots go at the next boundary), keeps the receive threads running until nothing has
    /// arrived for drain-quiet-ms (or drain-max-seconds have passed): the events sent before that boundary all arrive;
    /// then reports its final counters and deregisters.
    /// </summary>
    private static async Task DrainAsync(Membership m, LbSettings lb, SourceContext context, ReceiveThread[] workers, CancellationTokenSource stopAll)
    {
        m.Draining.Value = true;
        await m.Stop.CancelAsync().ConfigureAwait(false);
        await m.Loop.ConfigureAwait(false);
        var told = await m.Session.ReportNowAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        try
        {
            if (!stopAll.IsCancellationRequested && !workers.All(w => w.Done.IsCompleted)) await QuietAsync(told, m.Session, lb, context, workers).ConfigureAwait(false);
        }
        finally
        {
            // The final counters, then Deregister: the load balancer's books then hold every event this node received.
            await m.Session.ReportNowAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            await m.Session.DeregisterAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
    }

    private static async Task QuietAsync(bool told, LbMembership session, LbSettings lb, SourceContext context, ReceiveThread[] workers)
    {
        var reported = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        var before = workers.Sum(w => Volatile.Read(ref w.Stats.Packets));
        var last = before;
        var quietSince = clock.Elapsed;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (await poll.WaitForNextTickAsync().ConfigureAwait(false))
        {
            var packets = workers.Sum(w => Volatile.Read(ref w.Stats.Packets));
            if (packets != last)
            {
                last = packets;
                quietSince = clock.Elapsed;
            }

            if (clock.Elapsed - quietSince >= lb.DrainQuiet || clock.Elapsed >= lb.DrainMax || workers.All(w => w.Done.IsCompleted)) break;
            if (clock.Elapsed - reported >= TimeSpan.FromMilliseconds(500))
            {
                // Still not ready, still here: a drain that outlasts the load balancer's session timeout (5 s) keeps its session.
                reported = clock.Elapsed;
                await session.ReportNowAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
        }

        context.Log.Info(context.StageName, $"drained: {last - before} datagram(s) arrived after {(told ? "telling the load balancer it is leaving" : "leaving (the control plane was not told)")}, then {lb.DrainQuiet.TotalMilliseconds:0} ms quiet{(clock.Elapsed >= lb.DrainMax ? $"; stopped at drain-max-seconds {lb.DrainMax.TotalSeconds:0.#}" : "")}");
    }

    /// <summary>A running membership and what stops it.</summary>
    private sealed record Membership(LbMembership Session, LbClient Client, CancellationTokenSource Stop, Task Loop, System.Runtime.CompilerServices.StrongBox<bool> Draining) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync().ConfigureAwait(false);
            await Loop.ConfigureAwait(false);
            // A run that ends without its drain (a failure) still leaves the load balancer.
            if (Session.Registered) await Session.DeregisterAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            Client.Dispose();
            Stop.Dispose();
        }
    }
}

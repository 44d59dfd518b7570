using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Prometheus;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Transports.Ejfat.Receiving;

/// <summary>
/// Receives EJFAT datagrams on 2^port-range consecutive UDP ports with several receive threads, reassembles events
/// and emits them in batches. It never blocks a socket: when the pipeline is full, completed events are discarded and
/// counted (queue full). Every lost event and dropped datagram has a reason, published as <c>streams_ejfat_*</c>
/// metrics and as the <c>"ejfat"</c> section of the run summary.
/// </summary>
internal sealed partial class EjfatReceiverSource : IOpeningSource
{
    public const string DataType = "binary/ejfat";

    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "ejfat-receiver",
        Kind = OperatorKind.Source,
        Description = "Receives and reassembles EJFAT (E2SAR / ejfat tools) UDP streams on 2^port-range ports.",
        OutputType = DataType,
        Parameters =
        [
            new("port", ParameterType.Int, EjfatWire.DefaultDataPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "First data port (0: any free port, with port-range 0: a node behind a load balancer registers the port it got).") { Min = 0, Max = 65535 },
            new("port-range", ParameterType.Int, "0", "Listen on 2^K consecutive ports (the load balancer picks base + (entropy & (2^K - 1))).") { Min = 0, Max = 10 },
            new("bind", ParameterType.String, "0.0.0.0", "Address to listen on."),
            new("threads", ParameterType.Int, "0", "Receive threads (0: one per port, at most 4); ports are dealt round-robin.") { Min = 0, Max = 64 },
            new("lb-header", ParameterType.String, "auto", "LB header in front of the RE header: auto (by the 'LB' magic), yes, no.") { Choices = ["auto", "yes", "no"] },
            new("timeout-ms", ParameterType.Double, "500", "Drop an incomplete event after this long without a new segment.") { Min = 1 },
            new("memory-cap-mb", ParameterType.Double, "512", "Most memory held by incomplete events (all threads); the oldest is dropped beyond it.") { Min = 1 },
            new("max-event-mb", ParameterType.Double, "64", "Largest event accepted.") { Min = 0.001, Max = 128 },
            new("batch-size", ParameterType.Int, "64", "Events per emitted batch at most.") { Min = 1, Max = 65536 },
            new("flush-ms", ParameterType.Double, "2", "Emit a partial batch after this long.") { Min = 0.1 },
            new("recv-buffer-mb", ParameterType.Int, "256", "Kernel receive buffer per socket (SO_RCVBUF; forced when running as root).") { Min = 1, Max = 1024 },
            new("count", ParameterType.Long, "0", "Stop after this many completed events (0: until the run stops).") { Min = 0 },
            new("idle-stop-seconds", ParameterType.Double, "0", "Stop once nothing has arrived for this long after the first datagram (0: never).") { Min = 0 },
            new("start-timeout-seconds", ParameterType.Double, "0", "Fail the run when no datagram has arrived this long after the start (0: wait for ever).") { Min = 0 },
            new("setpoint", ParameterType.Double, "0.5", "Feedback: target fill fraction of the downstream queue.") { Min = 0, Max = 1 },
            new("kp", ParameterType.Double, "1", "Feedback: proportional gain."),
            new("ki", ParameterType.Double, "0", "Feedback: integral gain."),
            new("kd", ParameterType.Double, "0", "Feedback: derivative gain."),
            new("signal-limit", ParameterType.Double, "1", "Feedback: the control signal is clamped to [-limit, limit] (udplbd adds it to a weight of mean 1000 each second).") { Min = 0 },
            .. LoadBalancerParameters,
        ],
        Factory = () => new EjfatReceiverSource(),
    };

    private ReceiverConfig _config = null!;
    private Socket[]? _sockets;

    /// <summary>Ports actually bound (set once listening; useful with port 0 in tests).</summary>
    public IReadOnlyList<int> BoundPorts { get; private set; } = [];

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!IPAddress.TryParse(config.GetString("bind"), out var bind)) throw new ConfigException($"stage '{config.StageName}': 'bind' is not an IP address: '{config.GetString("bind")}'", config.Values.GetValueOrDefault("bind")?.Location);
        var ports = 1 << config.GetInt("port-range");
        if (config.GetInt("port") + ports - 1 > 65535) throw new ConfigException($"stage '{config.StageName}': ports {config.GetInt("port")}..{config.GetInt("port") + ports - 1} exceed 65535");
        if (config.GetInt("port") == 0 && ports > 1) throw new ConfigException($"stage '{config.StageName}': 'port' 0 (any free port) takes 'port-range' 0: {ports} consecutive ports cannot be asked of the kernel", config.Values.GetValueOrDefault("port-range")?.Location);
        var threads = config.GetInt("threads");
        _config = new ReceiverConfig(
            bind,
            config.GetInt("port"),
            ports,
            threads == 0 ? Math.Min(ports, 4) : Math.Min(threads, ports),
            config.GetString("lb-header") switch { "yes" => LbHeaderMode.Yes, "no" => LbHeaderMode.No, _ => LbHeaderMode.Auto },
            TimeSpan.FromMilliseconds(config.GetDouble("timeout-ms")),
            (long)(config.GetDouble("memory-cap-mb") * (1 << 20)),
            (long)(config.GetDouble("max-event-mb") * (1 << 20)),
            config.GetInt("batch-size"),
            TimeSpan.FromMilliseconds(config.GetDouble("flush-ms")),
            config.GetInt("recv-buffer-mb") << 20,
            new QueueFeedback(config.GetDouble("setpoint"), config.GetDouble("kp"), config.GetDouble("ki"), config.GetDouble("kd"), config.GetDouble("signal-limit")),
            config.GetLong("count"),
            TimeSpan.FromSeconds(config.GetDouble("idle-stop-seconds")),
            TimeSpan.FromSeconds(config.GetDouble("start-timeout-seconds")),
            ConfigureLoadBalancer(config, bind));
    }

    public void Reset()
    {
    }

    /// <summary>
    /// Binds every port, each exclusively: a port another process (another run) holds fails the start at once with
    /// "address already in use", instead of two receivers sharing a port and one of them silently getting nothing.
    /// </summary>
    public void Open(SourceContext context)
    {
        var c = _config;
        var sockets = new Socket[c.Ports];
        try
        {
            for (var i = 0; i < sockets.Length; i++) sockets[i] = Bind(c.Bind, c.BasePort == 0 ? 0 : c.BasePort + i, c.ReceiveBuffer);
        }
        catch (SocketException e)
        {
            foreach (var s in sockets) s?.Dispose();
            var port = c.BasePort + Array.FindIndex(sockets, s => s is null);
            throw new IOException(e.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? $"UDP port {c.Bind}:{port} is already in use (another run or program holds it; choose another 'port')"
                : $"cannot listen on UDP {c.Bind}:{port}: {e.Message}", e);
        }

        _sockets = sockets;
        BoundPorts = [.. sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port)];
    }

    public async Task RunAsync(SourceContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var c = _config;
        if (_sockets is null) Open(context);
        var sockets = _sockets!;
        try
        {
            context.Log.Info(context.StageName, $"listening on {c.Bind}:{BoundPorts[0]}{(sockets.Length > 1 ? $"..{BoundPorts[^1]}" : "")} with {c.Threads} receive thread(s), LB header {c.LbMode.ToString().ToLowerInvariant()}, socket buffer {sockets[0].ReceiveBufferSize >> 20} MiB");

            var workers = new ReceiveThread[c.Threads];
            for (var t = 0; t < workers.Length; t++)
            {
                var mine = sockets.Where((_, i) => i % c.Threads == t).ToArray();
                workers[t] = new ReceiveThread(t, mine, c, context, c.MemoryCap / c.Threads);
            }

            var metrics = new ReceiverMetrics(context.MetricFactory);
            context.AddSummarySection("ejfat", () => Totals(workers).ToSummary());
            // Behind a load balancer, the intake stop does not stop the receive threads: the node deregisters first and
            // takes what is still on its way (DrainAsync); they stop when that is done.
            using var stopAll = c.Lb is null ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken) : new CancellationTokenSource();
            foreach (var w in workers) w.Start(stopAll.Token);
            await using var membership = c.Lb is null ? null : StartMembership(c.Lb, context, workers);
            var clock = Stopwatch.StartNew();
            var last = clock.Elapsed;
            var lastArrival = last;
            long lastPackets = 0;
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            try
            {
                while (!workers.All(w => w.Done.IsCompleted) && await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (workers.FirstOrDefault(w => w.Done.IsFaulted) is { } dead)
                    {
                        // One thread died: stop the others too (its ports would go unread), then report it.
                        context.Log.Error(context.StageName, $"receive thread failed: {dead.Done.Exception?.InnerException?.Message}");
                        await stopAll.CancelAsync().ConfigureAwait(false);
                        break;
                    }

                    var now = clock.Elapsed;
                    var packets = workers.Sum(w => Volatile.Read(ref w.Stats.Packets));
                    if (packets != lastPackets)
                    {
                        lastPackets = packets;
                        lastArrival = now;
                    }
                    else if (c.StartTimeout > TimeSpan.Zero && packets == 0 && now >= c.StartTimeout)
                    {
                        await stopAll.CancelAsync().ConfigureAwait(false);
                        await Task.WhenAll(workers.Select(w => w.Done)).ConfigureAwait(false);
                        throw new IOException($"nothing arrived on UDP {c.Bind}:{BoundPorts[0]}{(sockets.Length > 1 ? $"..{BoundPorts[^1]}" : "")} within {c.StartTimeout.TotalSeconds:0.#} s of the start (start-timeout-seconds)");
                    }
                    else if (c.IdleStop > TimeSpan.Zero && packets > 0 && now - lastArrival >= c.IdleStop)
                    {
                        context.Log.Info(context.StageName, $"nothing received for {c.IdleStop.TotalSeconds:0.#} s: stopping (idle-stop-seconds)");
                        await stopAll.CancelAsync().ConfigureAwait(false);
                        break;
                    }

                    c.Feedback.Update(context.OutputFill, (now - last).TotalSeconds);
                    last = now;
                    metrics.Publish(Totals(workers), c.Feedback);
                }
            }
            catch (OperationCanceledException)
            {
                // intake stopped
            }

            if (membership is not null) await DrainAsync(membership, c.Lb!, context, workers, stopAll).ConfigureAwait(false);
            await stopAll.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(workers.Select(w => w.Done)).ConfigureAwait(false);
            var totals = Totals(workers);
            metrics.Publish(totals, c.Feedback);
            context.Log.Info(context.StageName, $"received {totals.Packets} datagrams, {totals.EventsCompleted} events; lost {totals.EventsLostTimeout} (timeout), {totals.EventsLostMemory} (memory cap), {totals.EventsLostQueueFull} (queue full), {totals.EventsLostStopped} (incomplete at stop); dropped datagrams {totals.PacketsBadHeader} (bad header), {totals.PacketsBadSegment} (bad segment), {totals.PacketsDuplicate} (duplicate), {totals.PacketsConflict} (conflict); GC gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
        }
        finally
        {
            foreach (var s in sockets) s?.Dispose();
            _sockets = null;
        }
    }

    private static ReceiverStats Totals(ReceiveThread[] workers)
    {
        var total = new ReceiverStats();
        foreach (var w in workers) total.Add(w.Stats);
        return total;
    }

    private static Socket Bind(IPAddress address, int port, int receiveBuffer)
    {
        var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // No SO_REUSEADDR: a UDP port is owned by one receiver (with it, a second run could bind the same port and
            // the kernel would hand one of them every datagram).
            s.ReceiveBufferSize = receiveBuffer;
            if (OperatingSystem.IsLinux() && s.ReceiveBufferSize < receiveBuffer)
            {
                // SO_RCVBUFFORCE (33) passes net.core.rmem_max when running with CAP_NET_ADMIN; harmless otherwise.
                try
                {
                    s.SetRawSocketOption(1, 33, BitConverter.GetBytes(receiveBuffer));
                }
                catch (SocketException)
                {
                }
            }

            s.Bind(new IPEndPoint(address, port));
            s.Blocking = false;
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var s in _sockets ?? []) s.Dispose();
        _sockets = null;
    }

    private sealed record ReceiverConfig(
        IPAddress Bind,
        int BasePort,
        int Ports,
        int Threads,
        LbHeaderMode LbMode,
        TimeSpan Timeout,
        long MemoryCap,
        long MaxEventBytes,
        int BatchSize,
        TimeSpan FlushInterval,
        int ReceiveBuffer,
        QueueFeedback Feedback,
        long Count,
        TimeSpan IdleStop,
        TimeSpan StartTimeout,
        LbSettings? Lb)
    {
        /// <summary>Completed events taken so far, by all threads (for <see cref="Count"/>).</summary>
        public long Taken;
    }
}

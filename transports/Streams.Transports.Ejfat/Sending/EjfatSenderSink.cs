using System.Net;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Transports.Ejfat.Sending;

/// <summary>Sends every event it gets as EJFAT datagrams (a pipeline's output to a load balancer or a receiver).</summary>
internal sealed class EjfatSenderSink : ISink
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "ejfat-sender",
        Kind = OperatorKind.Sink,
        Description = "Segments events into EJFAT datagrams (LB + RE headers) and sends them over UDP, paced, with Sync packets.",
        InputTypes = ["binary/*", "evio/*"], // any raw-byte events
        Parameters =
        [
            new("dest", ParameterType.String, null, "Destination HOST:PORT (the base data port); or 'lb'."),
            new("lb", ParameterType.String, "", "Send through this EJFAT load balancer (ejfat[s]://TOKEN@HOST:PORT/lb/ID?data=IP:PORT&sync=IP:PORT): data and sync addresses from it, this host added to its senders."),
            new("port-range", ParameterType.Int, "0", "Spread events over 2^K ports by entropy.") { Min = 0, Max = 10 },
            new("mtu", ParameterType.Int, "9000", "Path MTU; payload per datagram = MTU - 20 - 8 - 36.") { Min = 576, Max = 9000 },
            new("lb-version", ParameterType.Int, "2", "LB header version 2 or 3; 0 sends no LB header.") { Min = 0, Max = 3 },
            new("re-version", ParameterType.Int, "1", "RE header version: 1 (E2SAR) or 2 (older ejfat tools).") { Min = 1, Max = 2 },
            new("data-id", ParameterType.Int, "-1", "Data id on the wire; -1 keeps each event's own.") { Min = -1, Max = ushort.MaxValue },
            new("sockets", ParameterType.Int, "1", "Sending sockets (events dealt round-robin).") { Min = 1, Max = 64 },
            new("gbps", ParameterType.Double, "0", "Pace to this many Gbit/s of payload (0: unpaced).") { Min = 0 },
            new("rate", ParameterType.Double, "0", "Pace to this many events/s (0: unpaced).") { Min = 0 },
            new("rate-steps", ParameterType.List, "", "An event rate that changes over time: 'SECONDS:RATE' items from the first event on, each rate holding from its time (overrides 'rate'), e.g. [0:500, 20:3000, 50:500]."),
            new("sync", ParameterType.String, "", "HOST:PORT for Sync packets about once per second (empty: none)."),
            new("source-id", ParameterType.Long, "0", "eventSrcId in Sync packets.") { Min = 0, Max = uint.MaxValue },
        ],
        MaxWorkers = 1,
        Factory = () => new EjfatSenderSink(),
    };

    private SenderOptions _options = null!;
    private int _dataId;
    private EjfatSender? _sender;

    private ControlPlane.EjfatUri? _lb;

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var lb = config.GetString("lb");
        if (lb.Length > 0)
        {
            var at = config.Values.GetValueOrDefault("lb")?.Location;
            if (!ControlPlane.EjfatUri.TryParse(lb, out _lb, out var error)) throw new ConfigException($"stage '{config.StageName}': 'lb': {error}", at);
            if (_lb!.LbId is null) throw new ConfigException($"stage '{config.StageName}': 'lb': the URI names no load balancer (.../lb/ID)", at);
            if (config.GetString("dest") is { Length: > 0 }) throw new ConfigException($"stage '{config.StageName}': give 'dest' or 'lb', not both", at);
            if (config.GetInt("lb-version") == 0) throw new ConfigException($"stage '{config.StageName}': 'lb' needs an LB header ('lb-version' 2 or 3)", at);
        }

        _options = SenderOptionsFrom(config, placeholder: _lb is not null);
        _dataId = config.GetInt("data-id");
    }

    /// <summary>The sender's options from its parameters; with <paramref name="placeholder"/> the destination is filled in later (from the load balancer).</summary>
    internal static SenderOptions SenderOptionsFrom(OperatorConfig config, bool placeholder = false)
    {
        var dest = ParseEndpoint(config, "dest") ?? (placeholder ? new IPEndPoint(IPAddress.Loopback, EjfatWire.DefaultDataPort) : throw new ConfigException($"stage '{config.StageName}': 'dest' (HOST:PORT) or 'lb' is required"));
        var lb = config.GetInt("lb-version");
        var steps = Engine.Operators.RateSteps.From(config);
        if (steps.Steps.Any(st => st.Rate <= 0)) throw new ConfigException($"stage '{config.StageName}': 'rate-steps': every rate must be positive (a sender waiting at rate 0 would never drain)", config.Values.GetValueOrDefault("rate-steps")?.Location);
        if (lb == 1) throw new ConfigException($"stage '{config.StageName}': 'lb-version' must be 2, 3 or 0 (none)", config.Values.GetValueOrDefault("lb-version")?.Location);
        return new SenderOptions
        {
            Destination = dest.Address,
            BasePort = dest.Port,
            PortRange = config.GetInt("port-range"),
            Frame = new FrameOptions { LbVersion = (byte)lb, ReVersion = (byte)config.GetInt("re-version"), MaxPayload = EjfatWire.MaxPayload(config.GetInt("mtu"), dest.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) },
            Sockets = config.GetInt("sockets"),
            GbitPerSecond = config.GetDouble("gbps"),
            EventsPerSecond = config.GetDouble("rate"),
            RateSteps = steps,
            Sync = ParseEndpoint(config, "sync"),
            EventSourceId = (uint)config.GetLong("source-id"),
        };
    }

    private static IPEndPoint? ParseEndpoint(OperatorConfig config, string key)
    {
        var text = config.GetString(key);
        if (string.IsNullOrEmpty(text)) return null;
        if (Engine.Spec.ListenAddress.TryResolve(text, out var endpoint) is { } error) throw new ConfigException($"stage '{config.StageName}': '{key}': {error}", config.Values.GetValueOrDefault(key)?.Location);
        return endpoint;
    }

    public void Reset()
    {
        _sender?.Dispose();
        _sender = null;
    }

    public void Write(EventBatch batch, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_sender is null)
        {
            if (_lb is not null)
            {
                // Once, at the first batch (not at planning: `streams validate` must not call out): where the load balancer takes data.
                ControlPlane.SenderRoute route;
                try
                {
                    route = ControlPlane.LbSenders.JoinAsync(_lb).GetAwaiter().GetResult();
                }
                catch (Grpc.Core.RpcException e)
                {
                    throw new IOException($"load balancer {_lb.ControlHost}:{_lb.ControlPort}: {ControlPlane.LbClient.Describe(e)}", e);
                }

                _options = _options with { Destination = route.Data.Address, BasePort = route.Data.Port, Sync = _options.Sync ?? route.Sync };
                context.Log.Info(context.StageName, $"sending through load balancer {_lb.LbId}: data {route.Data}, sync {route.Sync?.ToString() ?? "none"}; this host ({route.Self}) added to its senders");
            }

            _sender = new EjfatSender(_options);
        }
        var meta = batch.Meta;
        for (var i = 0; i < batch.Count; i++)
        {
            var m = meta[i];
            _sender.Send(batch.GetPayload(i), m.EventNumber, _dataId >= 0 ? (ushort)_dataId : m.DataId, m.Tick, (ushort)m.EventNumber);
        }
    }

    public void Flush()
    {
    }

    public void Dispose() => _sender?.Dispose();
}

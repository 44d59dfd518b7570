using NetMQ;
using NetMQ.Sockets;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.ZeroMq.Operators;

/// <summary>
/// Sends every batch as a three-frame message (<see cref="BatchFrames"/>) on a ZeroMQ PUSH socket, so that any ZeroMQ
/// program (pyzmq, libzmq, another Streams pipeline's <c>zmq-pull</c>) can consume the stream. Sending waits while
/// the peers are at their high-water mark: backpressure, nothing dropped.
/// </summary>
public sealed class ZmqPushSink : ISink
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "zmq-push",
        Kind = OperatorKind.Sink,
        Description = "Sends batches over a ZeroMQ PUSH socket in the Streams batch framing (header, metadata, Arrow IPC or raw payload).",
        Parameters = [.. ZmqEndpoint.Parameters("sink"), new("linger-seconds", ParameterType.Double, "10", "At the end, how long to wait for queued messages to leave.") { Min = 0 }],
        MaxWorkers = 1,
        Factory = () => new ZmqPushSink(),
    };

    private PushSocket? _socket;
    private ZmqEndpoint _endpoint;
    private int _hwm;
    private TimeSpan _linger;
    private ulong _nextId;

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        // The socket is made on the first batch: planning configures a throwaway instance, which must not bind the port.
        _endpoint = ZmqEndpoint.From(config, Descriptor.Name);
        _hwm = config.GetInt("hwm");
        _linger = TimeSpan.FromSeconds(config.GetDouble("linger-seconds"));
    }

    private PushSocket Socket()
    {
        if (_socket is not null) return _socket;
        ZmqSend.UsePooledBuffers();
        var socket = new PushSocket();
        socket.Options.SendHighWatermark = _hwm;
        socket.Options.Linger = _linger;
        try
        {
            _endpoint.Attach(socket);
        }
        catch (Exception e) when (e is NetMQException or ArgumentException)
        {
            socket.Dispose();
            throw new InvalidOperationException($"zmq-push: cannot {(_endpoint.Bind ? "bind" : "connect")} {_endpoint.Address}: {e.Message}", e);
        }

        return _socket = socket;
    }

    public void Reset()
    {
    }

    public void Write(EventBatch batch, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ZmqSend.SendBatch(Socket(), batch, ++_nextId);
    }

    public void Flush()
    {
    }

    public void Dispose() => _socket?.Dispose();
}

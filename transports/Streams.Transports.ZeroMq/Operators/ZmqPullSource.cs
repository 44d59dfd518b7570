using NetMQ;
using NetMQ.Sockets;
using Prometheus;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.ZeroMq.Operators;

/// <summary>
/// Receives batches in the Streams framing (<see cref="BatchFrames"/>) on a ZeroMQ PULL socket, so that any ZeroMQ
/// program can feed a pipeline. A message that does not follow the framing is counted (metric and the run summary's
/// <c>"zmq"</c> section), logged within limits (<see cref="PeerLog"/>) and dropped; the stream goes on. The source
/// waits while the pipeline is full, which in turn holds the senders back.
/// </summary>
public sealed class ZmqPullSource : ISource
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "zmq-pull",
        Kind = OperatorKind.Source,
        Description = "Receives batches over a ZeroMQ PULL socket in the Streams batch framing (header, metadata, Arrow IPC or raw payload).",
        OutputType = Streams.Engine.Batches.DataTypes.Any,
        Parameters =
        [
            .. ZmqEndpoint.Parameters("source"),
            new("count", ParameterType.Long, "0", "Stop after this many events; 0 for no limit.") { Min = 0 },
            new("idle-stop-seconds", ParameterType.Double, "0", "Stop when nothing has arrived for this long (after the first message); 0 to wait forever.") { Min = 0 },
            new("data-type", ParameterType.String, "", "Type the batches are declared as for planning (for example arrow/clas12-hits); empty accepts any."),
        ],
        ResolveOutputType = c => c.GetString("data-type") is { Length: > 0 } t ? t : Streams.Engine.Batches.DataTypes.Any,
        MaxWorkers = 1,
        Factory = () => new ZmqPullSource(),
    };

    private ZmqEndpoint _endpoint;
    private int _hwm;
    private long _count;
    private double _idleStop;
    private string _dataType = "";

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _endpoint = ZmqEndpoint.From(config, Descriptor.Name);
        _hwm = config.GetInt("hwm");
        _count = config.GetLong("count");
        _idleStop = config.GetDouble("idle-stop-seconds");
        _dataType = config.GetString("data-type");
    }

    public void Reset()
    {
    }

    public Task RunAsync(SourceContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.Factory.StartNew(() => Receive(context, cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Receive(SourceContext context, CancellationToken cancellationToken)
    {
        var malformed = context.Metrics.Counter("streams_zmq_malformed_messages_total", "Messages on a zmq-pull socket that did not follow the batch framing.");
        var received = context.Metrics.Counter("streams_zmq_received_bytes_total", "Payload bytes received on a zmq-pull socket.");
        var totals = new ZmqPullTotals(context.StageName);
        var peers = new PeerLog(context.Log, context.StageName, "malformed messages");
        context.AddSummarySection("zmq", () =>
        {
            lock (totals) return totals.ToSummary(peers.MalformedByReason);
        });
        ZmqSend.UsePooledBuffers();
        using var socket = new PullSocket();
        socket.Options.ReceiveHighWatermark = _hwm;
        socket.Options.Linger = TimeSpan.Zero;
        try
        {
            _endpoint.Attach(socket);
        }
        catch (NetMQException e)
        {
            context.Log.Error(context.StageName, $"cannot {(_endpoint.Bind ? "bind" : "connect")} {_endpoint.Address}: {e.Message}");
            throw;
        }

        context.Log.Info(context.StageName, $"zmq-pull {(_endpoint.Bind ? "bound to" : "connected to")} {_endpoint.Address}");
        long events = 0;
        var time = context.Time;
        var lastArrival = time.GetTimestamp();
        var any = false;
        while (!cancellationToken.IsCancellationRequested && (_count == 0 || events < _count))
        {
            Streams.Engine.Batches.EventBatch? batch;
            try
            {
                if (!ZmqReceive.TryReceiveBatch(socket, TimeSpan.FromMilliseconds(100), out batch, out var bytes))
                {
                    lock (totals) peers.Tick();
                    if (any && _idleStop > 0 && time.GetElapsedTime(lastArrival).TotalSeconds > _idleStop)
                    {
                        context.Log.Info(context.StageName, $"nothing arrived for {_idleStop:0.#} s; stopping");
                        break;
                    }

                    continue;
                }

                any = true;
                lastArrival = time.GetTimestamp();
                if (_dataType.Length > 0 && batch!.DataType != _dataType)
                {
                    var type = batch.DataType;
                    batch.Dispose();
                    throw new FrameException($"batch of type '{type}' where '{_dataType}' was configured");
                }

                received.Inc(bytes);
                lock (totals)
                {
                    totals.Batches++;
                    totals.Events += batch!.Count;
                    totals.Bytes += bytes;
                }
            }
            catch (FrameException e)
            {
                any = true;
                lastArrival = time.GetTimestamp();
                malformed.Inc();
                lock (totals)
                {
                    peers.ReportMalformed(ReasonOf(e), $"malformed message dropped: {PeerLog.Clip(e.Message, 200)}");
                    totals.Malformed = peers.Malformed;
                    peers.Tick(); // a steady flood leaves no idle moment to sum it up in
                }

                continue;
            }

            var granted = context.TryReserve(batch!.Count);
            if (granted < batch.Count)
            {
                context.Discard(batch.Count);
                batch.Dispose();
                break;
            }

            events += batch.Count;
            context.EmitAsync(batch).AsTask().GetAwaiter().GetResult();
        }

        lock (totals) peers.Flush();
    }

    /// <summary>A short fixed reason for a framing error (never the peer's text): the part of the message before any detail.</summary>
    private static string ReasonOf(FrameException e)
    {
        var m = e.Message;
        var cut = m.IndexOfAny([':', '(', '\'', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
        return (cut > 0 ? m[..cut] : m).Trim() is { Length: > 0 and <= 60 } r ? r : "framing";
    }

    public void Dispose()
    {
    }
}

/// <summary>What one zmq-pull source took in: its part of the run summary.</summary>
internal sealed class ZmqPullTotals(string stage)
{
    public long Batches;
    public long Events;
    public long Bytes;
    public long Malformed;

    public object ToSummary(IReadOnlyDictionary<string, long> byReason) => new
    {
        stage,
        batches = Batches,
        events = Events,
        bytes = Bytes,
        malformedMessages = Malformed,
        malformedByReason = byReason,
    };
}

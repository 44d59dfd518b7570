using System.Net;
using System.Net.Sockets;
using Streams.LoadBalancer.Instances;
using Streams.Transports.Ejfat.Wire;

namespace Streams.LoadBalancer.Hosting;

/// <summary>
/// Receives the senders' Sync packets (28 bytes: event number, rate, time; PROTOCOLS.md section 1) and hands each to
/// the instance whose sender list holds its source, for the epoch-boundary prediction. Malformed packets are counted.
/// </summary>
internal sealed class SyncListener : IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public SyncListener(IPEndPoint bind)
    {
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.Bind(bind);
        }
        catch (SocketException e)
        {
            _socket.Dispose();
            throw new IOException(e.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? $"UDP {bind} (sync) is already in use (another run or program holds it)"
                : $"cannot listen for Sync packets on UDP {bind}: {e.Message}", e);
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public long Received;
    public long Malformed;
    public long Unmatched;

    public void Start(LbRegistry registry) => _loop = Task.Run(() => LoopAsync(registry, _stop.Token));

    private async Task LoopAsync(LbRegistry registry, CancellationToken ct)
    {
        var buffer = new byte[512];
        EndPoint any = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // ICMP port unreachable and the like: keep listening
            }

            Interlocked.Increment(ref Received);
            if (!SyncHeader.TryRead(buffer.AsSpan(0, r.ReceivedBytes), out var sync))
            {
                Interlocked.Increment(ref Malformed);
                continue;
            }

            var instance = registry.ForSender(((IPEndPoint)r.RemoteEndPoint).Address);
            if (instance is null)
            {
                Interlocked.Increment(ref Unmatched);
                continue;
            }

            // The control plane's clock, not the sender's: boundaries are predicted on this host's time line.
            instance.AddSync(registry.Time.GetUtcNow(), sync.EventNumber, sync.AverageEventRateHz, ((IPEndPoint)r.RemoteEndPoint).Address, sync.EventSourceId);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }
}

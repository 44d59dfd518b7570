using System.Net;
using Streams.LoadBalancer.Instances;

namespace Streams.LoadBalancer.Forwarding;

/// <summary>An instance's data plane in `streams lb`: a started <see cref="Forwarder"/> reading the instance's table.</summary>
internal sealed class ForwardingDataPlane : IDataPlane
{
    private readonly Forwarder _forwarder;

    private ForwardingDataPlane(Forwarder forwarder) => _forwarder = forwarder;

    public static DataPlaneFactory Factory { get; } = (bind, instance) =>
    {
        var f = new Forwarder(bind, instance.Table);
        f.Start();
        return new ForwardingDataPlane(f);
    };

    public Forwarder Forwarder => _forwarder;

    public IPEndPoint LocalEndPoint => _forwarder.LocalEndPoint;

    public ulong LastTick => _forwarder.LastTick;

    public long Received => _forwarder.ReceivedPackets;

    public DropCounters Drops => _forwarder.Drops;

    public void Dispose() => _forwarder.Dispose();
}

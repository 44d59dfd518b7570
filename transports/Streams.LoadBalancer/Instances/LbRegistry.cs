using System.Net;
using Streams.LoadBalancer.Balancing;
using Streams.LoadBalancer.Forwarding;

namespace Streams.LoadBalancer.Instances;

/// <summary>The data plane of one instance, as the control plane sees it (the forwarder; a stand-in in control-plane tests).</summary>
internal interface IDataPlane : IDisposable
{
    /// <summary>Where senders send (the instance's data address).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>The tick of the newest datagram it forwarded (0 before any).</summary>
    ulong LastTick { get; }

    /// <summary>Datagrams it has received (forwarded or dropped).</summary>
    long Received { get; }

    /// <summary>Datagrams it dropped, by reason.</summary>
    DropCounters Drops { get; }
}

/// <summary>Starts the data plane of a new instance on <paramref name="bind"/>, reading <paramref name="instance"/>'s table.</summary>
internal delegate IDataPlane DataPlaneFactory(IPEndPoint bind, LbInstance instance);

/// <summary>What `streams lb` was told at start.</summary>
internal sealed record LbOptions
{
    /// <summary>The data address of the first instance; instance k listens on port + k.</summary>
    public required IPEndPoint Data { get; init; }

    /// <summary>Where Sync packets are received (null: no sync listener; boundaries from the data plane's ticks).</summary>
    public IPEndPoint? Sync { get; init; }

    /// <summary>The admin token (Reserve, Free, Overview; covers every call).</summary>
    public required string AdminToken { get; init; }

    /// <summary>Instances that may be reserved at once (each has its own data port).</summary>
    public int MaxInstances { get; init; } = 4;

    public ControlLoopOptions Control { get; init; } = new();

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// The reserved load balancers of one `streams lb` process and their data planes (the FPGA's instances): reserve,
/// find, free, and the control step over all of them. Thread-safe.
/// </summary>
internal sealed class LbRegistry : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (LbInstance Instance, IDataPlane Data, int Slot)> _instances = [];
    private readonly DataPlaneFactory _dataPlanes;
    private int _nextId = 1;

    public LbRegistry(LbOptions options, DataPlaneFactory dataPlanes)
    {
        Options = options;
        _dataPlanes = dataPlanes;
    }

    public LbOptions Options { get; }

    public TimeProvider Time => Options.Time;

    /// <summary>Reserves a new instance with its own data port; null when every instance is taken.</summary>
    public (LbInstance Instance, IDataPlane Data)? Reserve(string name, SlotStrategy strategy, DateTimeOffset? until, IEnumerable<IPAddress> senders)
    {
        lock (_lock)
        {
            var used = _instances.Values.Select(v => v.Slot).ToHashSet();
            var slot = Enumerable.Range(0, Options.MaxInstances).Where(i => !used.Contains(i)).DefaultIfEmpty(-1).First();
            if (slot < 0) return null;
            var id = (_nextId++).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var instance = new LbInstance(id, name, Tokens.New(), strategy, until, Options.Control, seed: HashCode.Combine(id, name));
            instance.AddSenders(senders);
            var bind = new IPEndPoint(Options.Data.Address, Options.Data.Port == 0 ? 0 : Options.Data.Port + slot);
            var data = _dataPlanes(bind, instance);
            _instances.Add(id, (instance, data, slot));
            return (instance, data);
        }
    }

    public (LbInstance Instance, IDataPlane Data)? Find(string id)
    {
        lock (_lock) return _instances.TryGetValue(id, out var v) ? (v.Instance, v.Data) : null;
    }

    public IReadOnlyList<(LbInstance Instance, IDataPlane Data)> All
    {
        get
        {
            lock (_lock) return [.. _instances.Values.OrderBy(v => v.Slot).Select(v => (v.Instance, v.Data))];
        }
    }

    public bool Free(string id)
    {
        (LbInstance, IDataPlane Data, int) v;
        lock (_lock)
        {
            if (!_instances.Remove(id, out v)) return false;
        }

        v.Data.Dispose();
        return true;
    }

    /// <summary>The instance a Sync packet from <paramref name="source"/> belongs to: the one whose sender list has it (else the only one).</summary>
    public LbInstance? ForSender(IPAddress source)
    {
        var all = All;
        var a = source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
        return all.FirstOrDefault(x => x.Instance.Table.Current.Senders.Contains(a)).Instance ?? (all.Count == 1 ? all[0].Instance : null);
    }

    /// <summary>One control step of every instance; frees the ones whose reservation ran out.</summary>
    public void Step()
    {
        var now = Time.GetUtcNow();
        foreach (var (instance, data) in All)
        {
            if (instance.Until is { } until && now > until)
            {
                Free(instance.Id);
                continue;
            }

            instance.Step(now, data.LastTick);
        }
    }

    public void Dispose()
    {
        foreach (var (instance, _) in All) Free(instance.Id);
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Streams.TestKit;

/// <summary>
/// Ports for tests whose child (a process, or a pipeline in this process) binds a port the test must know first. A
/// TCP port is held by a socket bound to it (with SO_REUSEADDR, not listening) until the <see cref="HeldPorts"/> is
/// disposed: the kernel gives it to no one else, neither to a bind nor as an ephemeral port, while a child that binds
/// with SO_REUSEADDR (.NET sockets, NetMQ and HttpListener on Linux, Go, libzmq) binds and listens on it as if it were
/// free; so nothing can take the port between the test choosing it and the child binding it. UDP ports cannot be held
/// that way (a second socket bound with SO_REUSEADDR could be handed the datagrams): they are held within this
/// process only (no other test of it is given them). A port is best not chosen at all: where the child can bind port
/// 0 and say which port it got (a pipeline with <c>metrics: {listen: "127.0.0.1:0"}</c> makes <c>streams run</c>
/// print "metrics at URL"; <see cref="ChildProcess.WaitForMatchAsync"/> reads it), tests read it back instead.
/// </summary>
public static class Ports
{
    private static readonly ConcurrentDictionary<(int Port, ProtocolType Protocol), byte> Held = new();
    private static readonly ConcurrentBag<HeldPorts> HeldForever = [];

    /// <summary>A free TCP port, held (see <see cref="HoldTcp"/>) for the rest of this test process (for tests that keep no lease).</summary>
    public static int Free()
    {
        var held = HoldTcp();
        HeldForever.Add(held);
        return held.Port;
    }

    /// <summary>A free TCP port, held by a socket bound to it on loopback until the result is disposed.</summary>
    public static HeldPorts HoldTcp()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
                if (Held.TryAdd((port, ProtocolType.Tcp), 0))
                {
                    var held = new HeldPorts(port, 1, ProtocolType.Tcp, socket);
                    socket = null;
                    return held;
                }
            }
            finally
            {
                socket?.Dispose();
            }
        }

        throw new InvalidOperationException("no free TCP port that this test process does not already hold");
    }

    /// <summary>
    /// <paramref name="count"/> consecutive free UDP ports on loopback (an EJFAT receiver's port range), held by this
    /// process until the result is disposed.
    /// </summary>
    public static HeldPorts HoldUdpRange(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = Random.Shared.Next(20000, 60000 - count);
            if (!Enumerable.Range(first, count).All(CanBindUdp)) continue;
            var taken = new List<int>();
            foreach (var p in Enumerable.Range(first, count))
            {
                if (!Held.TryAdd((p, ProtocolType.Udp), 0)) break;
                taken.Add(p);
            }

            if (taken.Count == count) return new HeldPorts(first, count, ProtocolType.Udp);
            foreach (var p in taken) Held.TryRemove((p, ProtocolType.Udp), out _);
        }

        throw new InvalidOperationException($"no range of {count} free UDP ports");
    }

    internal static void Release(int first, int count, ProtocolType protocol)
    {
        for (var p = first; p < first + count; p++) Held.TryRemove((p, protocol), out _);
    }

    private static bool CanBindUdp(int port)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>Ports the kit holds for one test (see <see cref="Ports"/>); disposing hands them back (after the child has bound them).</summary>
public sealed class HeldPorts : IDisposable
{
    private readonly ProtocolType _protocol;
    private readonly Socket? _holder;
    private int _released;

    internal HeldPorts(int port, int count, ProtocolType protocol, Socket? holder = null)
    {
        Port = port;
        Count = count;
        _protocol = protocol;
        _holder = holder;
    }

    /// <summary>The (first) port.</summary>
    public int Port { get; }

    /// <summary>How many consecutive ports, from <see cref="Port"/>, are held.</summary>
    public int Count { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        _holder?.Dispose();
        Ports.Release(Port, Count, _protocol);
    }
}

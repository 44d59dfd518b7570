using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Streams.TestKit;

/// <summary>
/// Ports for tests whose child (a process, or a pipeline in this process) binds a port the test must know first. The
/// kernel hands out a free port (bind to port 0 and read it back); the kit then holds it: no other test of this
/// process is given it until the <see cref="HeldPorts"/> is disposed, after the child has bound it. A port is best
/// not chosen at all: where the child can bind port 0 and say which port it got (a pipeline with
/// <c>metrics: {listen: "127.0.0.1:0"}</c> makes <c>streams run</c> print "metrics at URL";
/// <see cref="ChildProcess.WaitForMatchAsync"/> reads it), tests read the port back from it instead. The hold is
/// this process's: another process can still be given the port by the kernel before the child binds it.
/// </summary>
public static class Ports
{
    private static readonly ConcurrentDictionary<(int Port, ProtocolType Protocol), byte> Held = new();

    /// <summary>A free TCP port on loopback, held for the rest of this test process (for tests that keep no lease).</summary>
    public static int Free() => HoldTcp().Port;

    /// <summary>A free TCP port on loopback, held by this process until the result is disposed.</summary>
    public static HeldPorts HoldTcp()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            if (Held.TryAdd((port, ProtocolType.Tcp), 0)) return new HeldPorts(port, 1, ProtocolType.Tcp);
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

/// <summary>Ports the kit holds for one test (see <see cref="Ports"/>); disposing hands them back.</summary>
public sealed class HeldPorts : IDisposable
{
    private readonly ProtocolType _protocol;
    private int _released;

    internal HeldPorts(int port, int count, ProtocolType protocol)
    {
        Port = port;
        Count = count;
        _protocol = protocol;
    }

    /// <summary>The (first) port.</summary>
    public int Port { get; }

    /// <summary>How many consecutive ports, from <see cref="Port"/>, are held.</summary>
    public int Count { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) Ports.Release(Port, Count, _protocol);
    }
}

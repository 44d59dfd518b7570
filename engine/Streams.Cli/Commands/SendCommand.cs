using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Streams.Operators.Builtin;
using Streams.Engine.Spec;
using Streams.Transports.Ejfat.Sending;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Cli.Commands;

/// <summary><c>streams send</c>: an EJFAT load generator (synthetic events or a file cut into events).</summary>
internal static partial class SendCommand
{
    public static Command Create()
    {
        var dest = new Option<string?>("--dest") { Description = "Destination HOST:PORT (base data port). Or --lb.", HelpName = "HOST:PORT" };
        var lbUri = new Option<string?>("--lb") { Description = "Send through this EJFAT load balancer (ejfat[s]://TOKEN@HOST:PORT/lb/ID?data=IP:PORT&sync=IP:PORT): data and sync addresses from the URI (else GetLoadBalancer), and this host added to its senders (AddSenders).", HelpName = "URI" };
        var range = new Option<int>("--port-range") { Description = "Spread events over 2^K ports: port = base + (entropy & (2^K - 1)).", DefaultValueFactory = _ => 0, HelpName = "K" }.Range(0, 10);
        var mtu = new Option<int>("--mtu") { Description = "Path MTU; payload per datagram = MTU - 20 - 8 - 36.", DefaultValueFactory = _ => 9000 }.Range(576, 9000);
        var lbVersion = new Option<int>("--lb-version") { Description = "LB header version 2 or 3; 0 for no LB header.", DefaultValueFactory = _ => 2 }.Must(v => v is 0 or 2 or 3, "2, 3 or 0");
        var reVersion = new Option<int>("--re-version") { Description = "RE header version: 1 (E2SAR) or 2 (older ejfat tools).", DefaultValueFactory = _ => 1 }.Must(v => v is 1 or 2, "1 or 2");
        var dataIds = new Option<int[]>("--data-id") { Description = "Data id(s); several are used in turn, one per event.", DefaultValueFactory = _ => [0], AllowMultipleArgumentsPerToken = true }.Must(v => v is { Length: > 0 } && v.All(i => i is >= 0 and <= ushort.MaxValue), "one or more of 0..65535");
        var sockets = new Option<int>("--sockets") { Description = "Sending sockets.", DefaultValueFactory = _ => 1 }.Range(1, 64);
        var gbps = new Option<double>("--gbps") { Description = "Pace to this many Gbit/s of payload (0: as fast as possible).", DefaultValueFactory = _ => 0 }.NotNegative();
        var rate = new Option<double>("--rate") { Description = "Pace to this many events/s (0: as fast as possible).", DefaultValueFactory = _ => 0 }.NotNegative();
        var sync = new Option<string?>("--sync") { Description = "Send Sync packets about once per second to HOST:PORT.", HelpName = "HOST:PORT" };
        var size = new Option<int>("--event-size") { Description = "Event size in bytes (synthetic events, or how a --from-file file is cut).", DefaultValueFactory = _ => 65536 }.Range(0, 1 << 30);
        var count = new Option<long?>("--count", "-n") { Description = "Events to send (0: until --duration or Ctrl+C). Default: 10000, or every event of --from-file once.", HelpName = "N" }.Must(v => v is null or >= 0, "0 or more");
        var seed = new Option<long>("--seed") { Description = "Seed of synthetic payloads (random bytes made once; each event starts with its number).", DefaultValueFactory = _ => 1 };
        var fromFile = new Option<FileInfo?>("--from-file") { Description = "Send this file's bytes as consecutive events of --event-size bytes.", HelpName = "FILE" };
        var first = new Option<long>("--first-event") { Description = "Number of the first event.", DefaultValueFactory = _ => 0 }.NotNegative();
        var duration = new Option<double>("--duration", "-d") { Description = "Stop after this many seconds (0: no limit).", DefaultValueFactory = _ => 0, HelpName = "SECONDS" }.NotNegative();
        var cmd = new Command("send", "Send events as EJFAT datagrams (LB + RE headers), paced, over UDP: synthetic events or a file cut into events.")
        {
            dest, range, mtu, lbVersion, reVersion, dataIds, sockets, gbps, rate, sync, size, count, seed, fromFile, first, duration, lbUri,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var (destination, syncAddress, error) = await Destinations(parse.GetValue(dest), parse.GetValue(sync), parse.GetValue(lbUri), parse.GetValue(lbVersion), ct).ConfigureAwait(false);
            return error ?? Run(parse, destination!, syncAddress, range, mtu, lbVersion, reVersion, dataIds, sockets, gbps, rate, size, count, seed, fromFile, first, duration);
        });
        return cmd;
    }

    private static int Run(ParseResult p, string dest, string? sync, Option<int> range, Option<int> mtu, Option<int> lbVersion, Option<int> reVersion, Option<int[]> dataIds,
        Option<int> sockets, Option<double> gbps, Option<double> rate, Option<int> size, Option<long?> count, Option<long> seed,
        Option<FileInfo?> fromFile, Option<long> first, Option<double> duration)
    {
        var err = Console.Error;
        IPEndPoint? to = null;
        if (ListenAddress.TryResolve(dest, out to) is { } e1) return CliErrors.Usage($"--dest: {e1}");
        IPEndPoint? syncTo = null;
        if (sync is { } s && ListenAddress.TryResolve(s, out syncTo) is { } e2) return CliErrors.Usage($"--sync: {e2}");
        if (IsBroadcast(to!.Address)) return CliErrors.Usage($"--dest: {to} is a broadcast address; EJFAT sends to a host (or a multicast group)");
        var lb = p.GetValue(lbVersion);
        var eventSize = p.GetValue(size);
        var ids = p.GetValue(dataIds)!;
        if (p.GetValue(gbps) > 0 && p.GetValue(rate) > 0) return CliErrors.Usage("give --gbps or --rate, not both");

        byte[]? file = null;
        if (p.GetValue(fromFile) is { } f)
        {
            if (eventSize == 0) return CliErrors.Usage("--from-file needs --event-size > 0");
            if (Directory.Exists(f.FullName)) return CliErrors.Fail($"--from-file: {f}: is a directory");
            try
            {
                file = File.ReadAllBytes(f.FullName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CliErrors.Fail($"--from-file: {f}: {PipelineLoader.ReadError(e)}");
            }

            // An empty file has no events: sending it would mean 0-byte events forever (or none at all).
            if (file.Length == 0) return CliErrors.Fail($"--from-file: {f} is empty; there are no events to send");
        }

        var n = p.GetValue(count) ?? (file is null ? 10_000 : (file.Length + eventSize - 1) / eventSize);
        var options = new SenderOptions
        {
            Destination = to!.Address,
            BasePort = to.Port,
            PortRange = p.GetValue(range),
            Frame = new FrameOptions { LbVersion = (byte)lb, ReVersion = (byte)p.GetValue(reVersion), MaxPayload = EjfatWire.MaxPayload(p.GetValue(mtu), to.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) },
            Sockets = p.GetValue(sockets),
            GbitPerSecond = p.GetValue(gbps),
            EventsPerSecond = p.GetValue(rate),
            Sync = syncTo,
        };

        using var stop = new CancellationTokenSource();
        // Ctrl+C, SIGTERM and SIGHUP (a closed terminal) end the send cleanly.
        using var signals = ShutdownSignals.Cancelling(stop);
        var limit = p.GetValue(duration) > 0 ? TimeSpan.FromSeconds(p.GetValue(duration)) : TimeSpan.MaxValue;
        EjfatSender sender;
        try
        {
            sender = new EjfatSender(options);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return CliErrors.Fail($"cannot send to {to}: {e.Message}");
        }

        using var senderLifetime = sender;
        var buffer = new byte[EjfatSender.Headroom + eventSize]; // headroom: headers are written in place, no copy per datagram
        var state = (ulong)p.GetValue(seed) | 1;
        var firstEvent = (ulong)p.GetValue(first);
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.FromSeconds(5);
        for (long i = 0; n == 0 || i < n; i++)
        {
            if (stop.IsCancellationRequested || clock.Elapsed > limit) break;
            var ev = buffer.AsSpan(0, EjfatSender.Headroom + eventSize);
            if (file is not null)
            {
                var offset = (int)((i * eventSize) % Math.Max(file.Length, 1));
                var chunk = file.AsSpan(offset, Math.Min(eventSize, file.Length - offset));
                chunk.CopyTo(buffer.AsSpan(EjfatSender.Headroom));
                ev = buffer.AsSpan(0, EjfatSender.Headroom + chunk.Length);
            }
            else if (eventSize >= 8)
            {
                // Seeded random bytes generated once (a load generator must not spend its core on payloads);
                // each event's first 8 bytes carry its number.
                if (i == 0) SyntheticSource.Fill(buffer.AsSpan(EjfatSender.Headroom, eventSize), firstEvent, ref state);
                BitConverter.TryWriteBytes(buffer.AsSpan(EjfatSender.Headroom, 8), firstEvent + (ulong)i);
            }

            var number = firstEvent + (ulong)i;
            try
            {
                sender.SendInPlace(ev, number, (ushort)ids[i % ids.Length], number, (ushort)number);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                Console.WriteLine(Line("sent", sender, clock.Elapsed));
                return CliErrors.Fail($"sending to {to} failed after {sender.EventsSent} events: {e.Message}");
            }

            if (clock.Elapsed > nextReport)
            {
                nextReport += TimeSpan.FromSeconds(5);
                err.WriteLine(Line("sending", sender, clock.Elapsed));
            }
        }

        Console.WriteLine(Line("sent", sender, clock.Elapsed));
        return 0;
    }

    private static string Line(string verb, EjfatSender s, TimeSpan t)
    {
        var secs = Math.Max(t.TotalSeconds, 1e-9);
        var syncs = s.SyncsSent > 0 ? $", {s.SyncsSent} sync packets" : "";
        return string.Create(CultureInfo.InvariantCulture, $"{verb} {s.EventsSent} events, {s.DatagramsSent} datagrams, {s.BytesSent} payload bytes in {t.TotalSeconds:0.00} s: {s.BytesSent * 8 / 1e9 / secs:0.000} Gbit/s, {s.EventsSent / secs:0} events/s{syncs}");
    }

    private static bool IsBroadcast(IPAddress a) => a.Equals(IPAddress.Broadcast);
}

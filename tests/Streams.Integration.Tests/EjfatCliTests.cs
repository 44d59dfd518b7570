using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Streams.Engine.Runtime;

namespace Streams.Integration.Tests;

/// <summary>`streams send` -> `streams receive --out` -> `streams inspect --digest`, as separate processes over loopback UDP.</summary>
public sealed class EjfatCliTests(TempDir dir) : IClassFixture<TempDir>
{
    private static int FreeUdpPorts(int count)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var basePort = Random.Shared.Next(20000, 60000);
            try
            {
                var sockets = Enumerable.Range(0, count).Select(i =>
                {
                    var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    s.Bind(new IPEndPoint(IPAddress.Loopback, basePort + i));
                    return s;
                }).ToList();
                sockets.ForEach(s => s.Dispose());
                return basePort;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("no free UDP ports");
    }

    [Theory]
    [InlineData(9000, "2", "auto")]
    [InlineData(1500, "0", "no")]
    public async Task A_file_sent_as_events_is_recorded_byte_for_byte(int mtu, string lbVersion, string lbHeader)
    {
        const int eventSize = 50_000;
        var input = dir.File($"input-{mtu}.bin");
        var data = new byte[(eventSize * 40) + 1234];
        new Random(mtu).NextBytes(data);
        await File.WriteAllBytesAsync(input, data);
        var events = (data.Length + eventSize - 1) / eventSize;
        var port = FreeUdpPorts(2);
        var output = dir.File($"received-{mtu}.arrow");
        var summary = dir.File($"received-{mtu}.json");

        using var rx = StreamsProcess.Start("receive", "--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--port-range", "1",
            "--lb-header", lbHeader, "--out", output, "--events", events.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", "60", "--summary-json", summary, "--progress", "log");
        await rx.WaitForOutputAsync("listening on", 60);
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "send", "--dest", $"127.0.0.1:{port}", "--port-range", "1", "--mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--lb-version", lbVersion, "--from-file", input, "--event-size", eventSize.ToString(System.Globalization.CultureInfo.InvariantCulture), "--gbps", "0.2", "--data-id", "7");
        Assert.True(code == 0, stderr);
        Assert.Contains($"sent {events} events", stdout, StringComparison.Ordinal);
        Assert.True(await rx.WaitAsync(60) == 0, rx.Stderr);

        var s = PipelineSummary.FromJson(await File.ReadAllTextAsync(summary));
        Assert.Equal(new EventTotals(events, events, 0, 0, 0), s.Events);
        Assert.True(s.Sections!.ContainsKey("ejfat"));

        (code, stdout, stderr) = await StreamsProcess.RunAsync(60, "inspect", output, "--digest");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(events, lines.Count);
        for (var i = 0; i < events; i++)
        {
            var chunk = data.AsSpan(i * eventSize, Math.Min(eventSize, data.Length - (i * eventSize)));
            Assert.Contains($"{i} 7 {chunk.Length} {Convert.ToHexStringLower(SHA256.HashData(chunk))}", lines);
        }
    }

    [Fact]
    public async Task Inspect_refuses_what_is_not_an_event_file()
    {
        var junk = dir.Write("junk.arrow", "nope");
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "inspect", junk);
        Assert.Equal(1, code);
        Assert.Contains("not a readable Arrow event file", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_refuses_bad_destinations()
    {
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "send", "--dest", "nowhere");
        Assert.Equal(2, code); // a usage error
        Assert.Contains("HOST:PORT", stderr, StringComparison.Ordinal);
    }
}

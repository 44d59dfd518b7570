using Microsoft.Extensions.Time.Testing;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.Tests.ZeroMq;

public sealed class PeerLogTests
{
    private static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void A_flood_is_logged_a_few_times_per_reason_then_summed_up_once_per_interval_and_always_counted()
    {
        var time = new FakeTimeProvider();
        var text = new StringWriter();
        var log = new PeerLog(new RunLog(text), "coordinator", "messages from workers", time) { Interval = TimeSpan.FromSeconds(10) };
        for (var i = 0; i < 1000; i++) log.ReportMalformed("HELLO (JsonException)", $"malformed HELLO {i}");
        for (var i = 0; i < 10; i++) log.ReportMalformed("unknown command", $"unknown command {i}");
        log.Report("duplicate answer", "batch answered again", RunLogLevel.Info);

        Assert.Equal(2 * PeerLog.LoggedPerReason + 1, Lines(text).Length);
        log.Tick();
        Assert.Equal(2 * PeerLog.LoggedPerReason + 1, Lines(text).Length); // the interval has not passed
        time.Advance(TimeSpan.FromSeconds(10));
        log.Tick();
        var lines = Lines(text);
        Assert.Equal(2 * PeerLog.LoggedPerReason + 2, lines.Length);
        Assert.Contains("1004 more messages from workers", lines[^1], StringComparison.Ordinal);
        Assert.Contains("997 x HELLO (JsonException) (1000 in all; last: malformed HELLO 999)", lines[^1], StringComparison.Ordinal);
        time.Advance(TimeSpan.FromSeconds(10));
        log.Tick();
        Assert.Equal(lines.Length, Lines(text).Length); // nothing new: no line

        Assert.Equal(1010, log.Malformed);
        Assert.Equal(new Dictionary<string, long> { ["HELLO (JsonException)"] = 1000, ["unknown command"] = 10 }, log.MalformedByReason);
    }

    [Fact]
    public void Text_from_a_peer_is_cut_with_its_length_and_loses_its_control_characters()
    {
        var name = new string('x', 20_000_000);
        var clipped = PeerLog.Clip(name);
        Assert.Equal(new string('x', 64) + "... (20000000 chars)", clipped);
        Assert.Equal("a?b?c", PeerLog.Clip("a\nb\u001bc"));
        Assert.Equal("short", PeerLog.Clip("short"));
        var frame = new byte[1 << 20];
        Assert.EndsWith("... (1048576 bytes)", PeerLog.Clip(frame), StringComparison.Ordinal);
        Assert.True(PeerLog.Clip(frame).Length < 200);
    }
}

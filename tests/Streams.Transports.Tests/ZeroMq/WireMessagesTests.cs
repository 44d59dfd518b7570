using System.Text;
using System.Text.Json;
using Streams.Fuzz.Targets;
using Streams.Transports.ZeroMq.Coordination;

namespace Streams.Transports.Tests.ZeroMq;

/// <summary>
/// Fuzz findings (protocol target, tests/fuzz/crashes/protocol): JSON nulls in WELCOME and RESULT failures, an index
/// over int.MaxValue and an event length of 2^31-1 in a RESULT threw NullReference, ArgumentNull, Overflow and
/// ArgumentOutOfRange exceptions instead of the malformed-message ones.
/// </summary>
public class WireMessagesTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData("""{"workerId":"w","pipeline":"p","heartbeatMs":1,"deadAfterMs":1}""")]
    [InlineData("""{"workerId":"w","pipeline":"p","stages":[null],"heartbeatMs":1,"deadAfterMs":1}""")]
    [InlineData("""{"workerId":"w","pipeline":"p","stages":[{"stage":"s","operator":"cpu-burn","threads":1,"outputType":"x"}]}""")]
    [InlineData("""{"workerId":"w","pipeline":"p","stages":[{"stage":"s","threads":1,"outputType":"x","config":{}}]}""")]
    [InlineData("""{"workerId":"w","pipeline":"p","stages":[{"stage":"s","operator":"cpu-burn","config":{"work-us":null}}]}""")]
    public void A_welcome_with_nulls_where_the_worker_needs_values_is_malformed(string json) =>
        Assert.Throws<FormatException>(() => WorkerProtocol.ReadWelcome(Utf8(json)));

    [Fact]
    public void A_complete_welcome_reads()
    {
        var w = WorkerProtocol.ReadWelcome(Utf8("""{"workerId":"w","pipeline":"p","stages":[{"stage":"s","operator":"cpu-burn","threads":2,"outputType":"x","config":{"work-us":{"scalar":"5"}}}],"heartbeatMs":1000,"deadAfterMs":5000}"""));
        Assert.Equal("cpu-burn", Assert.Single(w.Stages).Operator);
    }

    [Theory]
    [InlineData("[null]")]
    [InlineData("""[{"index":0,"severity":2}]""")]
    [InlineData("""[{"index":0,"message":"m","severity":99}]""")]
    public void Failures_with_nulls_or_unknown_severities_are_malformed(string json) =>
        Assert.Throws<FormatException>(() => WorkerProtocol.ReadFailures(Utf8(json)));

    [Fact]
    public void Failures_read_and_an_empty_frame_means_none()
    {
        Assert.Empty(WorkerProtocol.ReadFailures([]));
        Assert.Equal("m", Assert.Single(WorkerProtocol.ReadFailures(Utf8("""[{"index":1,"message":"m","severity":2}]"""))).Message);
        Assert.ThrowsAny<JsonException>(() => WorkerProtocol.ReadFailures(Utf8("{")));
    }

    [Fact]
    public void An_index_beyond_int_max_is_malformed_not_an_overflow() =>
        Assert.Throws<FormatException>(() => Protocol.ReadIndices([0xFF, 0xFF, 0xFF, 0xFF]));

    [Fact]
    public void The_fuzzer_inputs_that_found_them_pass_the_harness()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "fuzz", "crashes", "protocol");
        var files = Directory.GetFiles(dir);
        Assert.True(files.Length >= 8, $"{files.Length} saved protocol inputs");
        foreach (var f in files) ProtocolTarget.Run(File.ReadAllBytes(f)); // RemoteStage.Rebuild included (event length 2^31-1)
    }
}

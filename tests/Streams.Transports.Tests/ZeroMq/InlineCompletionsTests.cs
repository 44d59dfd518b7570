using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.Tests.ZeroMq;

public sealed class InlineCompletionsTests
{
    private const string Name = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    [Theory]
    [InlineData(null, true, "1")]
    [InlineData("0", false, "0")]
    [InlineData("1", true, "1")]
    public void Inline_socket_completions_are_asked_for_unless_the_environment_says_otherwise(string? before, bool inline, string after)
    {
        var saved = Environment.GetEnvironmentVariable(Name);
        try
        {
            Environment.SetEnvironmentVariable(Name, before);
            Assert.Equal(inline, ZmqSend.PreferInlineSocketCompletions());
            Assert.Equal(after, Environment.GetEnvironmentVariable(Name));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Name, saved);
        }
    }
}

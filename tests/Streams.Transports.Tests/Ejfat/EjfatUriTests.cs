using System.Net;
using Streams.Transports.Ejfat.ControlPlane;

namespace Streams.Transports.Tests.Ejfat;

/// <summary>EJFAT URIs as udplbd writes them and E2SAR reads them.</summary>
public sealed class EjfatUriTests
{
    [Fact]
    public void The_uri_of_e2sar_s_examples_gives_token_control_plane_instance_data_and_sync()
    {
        var uri = EjfatUri.Parse("ejfat://token@192.188.29.6:18020/lb/36?sync=192.188.29.6:19020&data=192.188.29.20");
        Assert.Equal((false, "token", "192.188.29.6", 18020, "36"), (uri.Tls, uri.Token, uri.ControlHost, uri.ControlPort, uri.LbId));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.188.29.20"), EjfatUri.DefaultDataPort), uri.Data); // no port: 19522
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.188.29.6"), 19020), uri.Sync);
        Assert.Equal(new Uri("http://192.188.29.6:18020"), uri.ControlAddress);
    }

    [Fact]
    public void Tls_ipv6_and_a_data_port_round_trip()
    {
        var text = "ejfats://a%2Fb@[2001:db8::1]:18347/lb/7?data=[2001:db8::2]:19600&sync=10.0.0.1:19010";
        var uri = EjfatUri.Parse(text);
        Assert.True(uri.Tls);
        Assert.Equal(("a/b", "2001:db8::1", 18347), (uri.Token, uri.ControlHost, uri.ControlPort));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::2"), 19600), uri.Data);
        Assert.Equal(new Uri("https://[2001:db8::1]:18347"), uri.ControlAddress);
        Assert.Equal(text, uri.ToString());
        Assert.Equal(uri, EjfatUri.Parse(uri.ToString()));
        Assert.Equal("ejfat://cp.example:18020", EjfatUri.Parse("ejfat://cp.example:18020/").ToString()); // no instance yet
    }

    [Theory]
    [InlineData("http://h:1/lb/1", "scheme")]
    [InlineData("ejfat://h/lb/1", "not HOST:PORT")]
    [InlineData("ejfat://h:70000/lb/1", "not HOST:PORT")]
    [InlineData("ejfat://@h:1/lb/1", "empty token")]
    [InlineData("ejfat://h:1/x/1", "not /lb/ID")]
    [InlineData("ejfat://h:1/lb/1?data=not-an-ip", "data address")]
    [InlineData("ejfat://h:1/lb/1?sync=10.0.0.1", "sync address")]
    [InlineData("ejfat://h:1/lb/1?colour=red", "unknown query key")]
    [InlineData("ejfat://2001:db8::1:1/lb/1", "not HOST:PORT")]
    public void What_is_not_an_ejfat_uri_is_refused_with_the_reason(string text, string reason)
    {
        Assert.False(EjfatUri.TryParse(text, out var uri, out var error));
        Assert.Null(uri);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error!);
        Assert.Contains(reason, Assert.Throws<FormatException>(() => EjfatUri.Parse(text)).Message, StringComparison.Ordinal);
    }
}

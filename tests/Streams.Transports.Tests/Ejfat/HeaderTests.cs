using Streams.Transports.Ejfat.Sending;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Transports.Tests.Ejfat;

public class HeaderTests
{
    [Fact]
    public void Lb_v2_golden_bytes()
    {
        var b = new byte[LbHeader.Size];
        new LbHeader(2, 0x1234, 0x0102030405060708).Write(b);
        Assert.Equal(Convert.FromHexString("4C420201" + "0000" + "1234" + "0102030405060708"), b);
        Assert.True(LbHeader.TryRead(b, out var h));
        Assert.Equal(new LbHeader(2, 0x1234, 0x0102030405060708), h);
    }

    [Fact]
    public void Lb_v3_golden_bytes_carry_slot_and_port_select()
    {
        var b = new byte[LbHeader.Size];
        new LbHeader(3, 0xBEEF, 0x0102030405060708).Write(b);
        Assert.Equal(Convert.FromHexString("4C420301" + "0708" + "BEEF" + "0102030405060708"), b);
        Assert.True(LbHeader.TryRead(b, out var h));
        Assert.Equal(new LbHeader(3, 0xBEEF, 0x0102030405060708), h);
    }

    [Fact]
    public void Re_golden_bytes_for_both_versions()
    {
        var b = new byte[ReHeader.Size];
        new ReHeader(1, 0x0A0B, 0x1000, 0x20000, 0x1122334455667788).Write(b);
        Assert.Equal(Convert.FromHexString("10" + "00" + "0A0B" + "00001000" + "00020000" + "1122334455667788"), b);
        Assert.True(ReHeader.TryRead(b, out var h));
        Assert.Equal(new ReHeader(1, 0x0A0B, 0x1000, 0x20000, 0x1122334455667788), h);

        b[0] = 0x20; // the older ejfat tools (packetBlaster)
        Assert.True(ReHeader.TryRead(b, out h));
        Assert.Equal(2, h.Version);
    }

    [Fact]
    public void Sync_golden_bytes()
    {
        var b = new byte[SyncHeader.Size];
        new SyncHeader(0xDEADBEEF, 42, 1000, 0x0102030405060708).Write(b);
        Assert.Equal(Convert.FromHexString("4C430200" + "DEADBEEF" + "000000000000002A" + "000003E8" + "0102030405060708"), b);
        Assert.True(SyncHeader.TryRead(b, out var h));
        Assert.Equal(new SyncHeader(0xDEADBEEF, 42, 1000, 0x0102030405060708), h);
    }

    [Theory]
    [InlineData("4C42", "short")]
    [InlineData("4C410201000012340102030405060708", "bad magic")]
    [InlineData("4C420401000012340102030405060708", "version 4")]
    [InlineData("4C420202000012340102030405060708", "protocol 2")]
    public void Bad_lb_headers_are_rejected(string hex, string why)
    {
        Assert.False(LbHeader.TryRead(Convert.FromHexString(hex), out _), why);
    }

    [Theory]
    [InlineData("10000A0B", "short")]
    [InlineData("00000A0B00001000000200001122334455667788", "version 0")]
    [InlineData("30000A0B00001000000200001122334455667788", "version 3")]
    public void Bad_re_headers_are_rejected(string hex, string why)
    {
        Assert.False(ReHeader.TryRead(Convert.FromHexString(hex), out _), why);
    }

    [Theory]
    [InlineData(9000, 8936)]
    [InlineData(1500, 1436)]
    public void Payload_per_datagram_follows_the_mtu(int mtu, int payload)
    {
        Assert.Equal(payload, EjfatWire.MaxPayload(mtu));
        var frame = new FrameOptions { MaxPayload = payload };
        var ev = new byte[3 * payload + 5];
        var d = new byte[EjfatWire.MaxDatagram];
        Assert.Equal(4, Segmenter.SegmentCount(ev.Length, payload));
        for (var i = 0; i < 4; i++)
        {
            var n = Segmenter.Write(d, ev, i, frame, 7, 1, 9, 3);
            Assert.True(n <= mtu - 28, $"datagram {n} bytes exceeds MTU {mtu}");
            Assert.True(ReHeader.TryRead(d.AsSpan(LbHeader.Size), out var re));
            Assert.Equal((uint)(i * payload), re.BufferOffset);
            Assert.Equal((uint)ev.Length, re.BufferLength);
        }
    }

    [Fact]
    public void Port_selection_uses_the_low_entropy_bits()
    {
        Assert.Equal(19522 + 5, EjfatWire.PortFor(19522, 3, 0xFFF5));
        Assert.Equal(19522, EjfatWire.PortFor(19522, 0, 0xFFFF));
    }
}

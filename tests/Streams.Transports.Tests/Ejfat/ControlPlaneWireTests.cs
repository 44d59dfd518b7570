using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Streams.Transports.Ejfat.ControlPlane.Wire;

namespace Streams.Transports.Tests.Ejfat;

/// <summary>
/// Golden encodings of the control plane's messages (udplbd's field numbers and types, PROTOCOLS.md section 7): the
/// expected bytes were written by hand (tag = field number x 8 + wire type, varints, little-endian floats), not by the
/// generated code, so a wrong number or type in our .proto fails here, where the real udplbd and E2SAR would part ways.
/// </summary>
public sealed class ControlPlaneWireTests
{
    private static readonly Timestamp At = new() { Seconds = 1_700_000_000, Nanos = 5 };

    [Fact]
    public void Register_encodes_with_udplbd_s_field_numbers()
    {
        var register = new RegisterRequest
        {
            LbId = "7", Name = "n1", Weight = 1, IpAddress = "10.0.0.2", UdpPort = 19522, PortRange = PortRange._4,
            MinFactor = 0.5f, MaxFactor = 2, KeepLbHeader = true,
        };
        Assert.Equal("1201371a026e31250000803f2a0831302e302e302e3230c298013802450000003f4d000000405001", Convert.ToHexStringLower(register.ToByteArray()));
    }

    [Fact]
    public void SendState_encodes_with_udplbd_s_field_numbers()
    {
        var state = new SendStateRequest
        {
            SessionId = "s9", LbId = "7", Timestamp = At, FillPercent = 0.25f, ControlSignal = -1.5f, IsReady = true,
            TotalEventsRecv = 300, TotalPacketsRecv = 1,
        };
        Assert.Equal("120273391a013722080880e2cfaa0610052d0000803e350000c0bf380140ac027001", Convert.ToHexStringLower(state.ToByteArray()));
    }

    [Fact]
    public void A_status_reply_written_by_hand_decodes_into_its_workers()
    {
        var bytes = Convert.FromHexString("0a060880e2cfaa06100318c0c407222a0a066e6f64652d61150000003f208002320831302e302e302e3238c29801400260e8079001a01fb0012a2a0831302e302e302e39588004");
        var status = LoadBalancerStatusReply.Parser.ParseFrom(bytes);
        Assert.Equal((1_700_000_000L, 3UL, 123456UL, 512U), (status.Timestamp.Seconds, status.CurrentEpoch, status.CurrentPredictedEventNumber, status.SlotResolution));
        Assert.Equal("10.0.0.9", Assert.Single(status.SenderAddresses));
        var w = Assert.Single(status.Workers);
        Assert.Equal(("node-a", 0.5f, 256U, "10.0.0.2", 19522U, PortRange._4), (w.Name, w.FillPercent, w.SlotsAssigned, w.IpAddress, w.UdpPort, w.PortRange));
        Assert.Equal((1000L, 4000L, 42L), (w.TotalEventsRecv, w.TotalPacketsRecv, w.SessionId));
        Assert.Equal(bytes, status.ToByteArray()); // and encodes back to the same bytes
    }
}

using System.Net;
using Grpc.Core;
using Streams.LoadBalancer.Forwarding;
using Streams.LoadBalancer.Hosting;
using Streams.LoadBalancer.Instances;
using Streams.Transports.Ejfat.ControlPlane;
using Streams.Transports.Ejfat.ControlPlane.Wire;

namespace Streams.Transports.Tests.Ejfat;

/// <summary>
/// `streams lb`'s control plane served by Kestrel and called over real gRPC (HTTP/2 on loopback) with the generated
/// client: tokens, Reserve's URI, Register/SendState/Deregister, Status, refusals, and the receiver's membership that
/// retries while the control plane is down.
/// </summary>
public sealed class LbServiceTests
{
    private const string Admin = "admin-secret";

    private static Task<LbServer> Serve(int controlPort = 0) => LbServer.StartAsync(
        new LbServerOptions { Control = new IPEndPoint(IPAddress.Loopback, controlPort), ControlInterval = TimeSpan.FromMilliseconds(100) },
        new LbOptions { Data = new IPEndPoint(IPAddress.Loopback, 0), Sync = new IPEndPoint(IPAddress.Loopback, 0), AdminToken = Admin },
        ForwardingDataPlane.Factory);

    private static LbClient Client(LbServer server, string? token, string? lbId = null) =>
        new(new EjfatUri(false, token, "127.0.0.1", server.Control.Port, lbId, null, null));

    private static async Task<EjfatUri> ReserveAsync(LbServer server, string name = "test")
    {
        using var admin = Client(server, Admin);
        var reply = await admin.Calls.ReserveLoadBalancerAsync(new ReserveLoadBalancerRequest { Name = name, SenderAddresses = { "127.0.0.1" } }, admin.Options());
        Assert.Equal(32, reply.Token.Length);
        return EjfatUri.Parse(reply.EjfatUri);
    }

    [Fact]
    public async Task Reserve_returns_an_ejfat_uri_with_the_instance_token_and_the_data_and_sync_addresses()
    {
        await using var server = await Serve();
        var uri = await ReserveAsync(server);
        Assert.Equal(server.Control.Port, uri.ControlPort);
        Assert.Equal("1", uri.LbId);
        Assert.Equal(server.Registry.Find("1")!.Value.Data.LocalEndPoint, uri.Data);
        Assert.Equal(server.SyncAddress, uri.Sync);

        using var instance = new LbClient(uri);
        var got = await instance.GetAsync();
        Assert.Equal(uri.Data!.Port, (int)got.DataMinPort);
        Assert.Equal("", got.Token); // Get never hands out the token
        var version = await instance.Calls.VersionAsync(new VersionRequest(), instance.Options());
        Assert.Equal("0.3.1", version.CompatTag);
    }

    [Fact]
    public async Task Calls_without_the_right_token_are_refused_with_the_reason()
    {
        await using var server = await Serve();
        var uri = await ReserveAsync(server);
        using var none = Client(server, null, "1");
        using var wrong = Client(server, "not-a-token", "1");
        using var instance = new LbClient(uri);

        var e1 = await Assert.ThrowsAsync<RpcException>(async () => await none.StatusAsync());
        Assert.Equal(StatusCode.Unauthenticated, e1.StatusCode);
        var e2 = await Assert.ThrowsAsync<RpcException>(async () => await wrong.StatusAsync());
        Assert.Equal(StatusCode.PermissionDenied, e2.StatusCode);
        // The instance token does not reserve or free: that is the admin's.
        var e3 = await Assert.ThrowsAsync<RpcException>(async () => await instance.Calls.ReserveLoadBalancerAsync(new ReserveLoadBalancerRequest { Name = "x" }, instance.Options()));
        Assert.Equal(StatusCode.PermissionDenied, e3.StatusCode);
        var e4 = await Assert.ThrowsAsync<RpcException>(async () => await instance.Calls.FreeLoadBalancerAsync(new FreeLoadBalancerRequest { LbId = "1" }, instance.Options()));
        Assert.Equal(StatusCode.PermissionDenied, e4.StatusCode);
        Assert.NotNull(server.Registry.Find("1"));
    }

    [Fact]
    public async Task A_member_registers_reports_its_state_shows_in_status_gets_slots_and_deregisters()
    {
        await using var server = await Serve();
        var uri = await ReserveAsync(server);
        using var client = new LbClient(uri);
        var reg = await client.Calls.RegisterAsync(new RegisterRequest
        {
            LbId = "1", Name = "node-a", Weight = 1, IpAddress = "127.0.0.1", UdpPort = 20500, PortRange = PortRange._2, MinFactor = 0, MaxFactor = 0,
        }, client.Options());

        // SendState with the session's own token.
        var state = new SendStateRequest { LbId = "1", SessionId = reg.SessionId, FillPercent = 0.25f, ControlSignal = 0.5f, IsReady = true, TotalEventsRecv = 42, TotalPacketsRecv = 99 };
        await client.Calls.SendStateAsync(state, client.Options(reg.Token));
        var bad = await Assert.ThrowsAsync<RpcException>(async () => await client.Calls.SendStateAsync(new SendStateRequest(state) { FillPercent = 1.5f }, client.Options(reg.Token)));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);

        // The control loop (every 100 ms here) deals it every slot.
        await Eventually.UntilAsync(async () => (await client.StatusAsync()).Workers.SingleOrDefault()?.SlotsAssigned == 512, "the member gets all 512 slots");
        var w = (await client.StatusAsync()).Workers.Single();
        Assert.Equal(("node-a", "127.0.0.1", 20500u, PortRange._2, 0.25f, 42L, 99L), (w.Name, w.IpAddress, w.UdpPort, w.PortRange, w.FillPercent, w.TotalEventsRecv, w.TotalPacketsRecv));

        await client.Calls.DeregisterAsync(new DeregisterRequest { LbId = "1", SessionId = reg.SessionId }, client.Options(reg.Token));
        Assert.Empty((await client.StatusAsync()).Workers);
        var gone = await Assert.ThrowsAsync<RpcException>(async () => await client.Calls.SendStateAsync(state, client.Options(reg.Token)));
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_membership_retries_while_the_control_plane_is_down_and_registers_once_it_is_up()
    {
        var port = Ports.Free();
        var uri = new EjfatUri(false, "later", "127.0.0.1", port, "1", null, null);
        var warnings = new List<string>();
        using var client = new LbClient(uri, callTimeout: TimeSpan.FromSeconds(2));
        var membership = new LbMembership(client, new MemberRegistration("node-r", 1, IPAddress.Loopback, 20600, 0, 0, 0, false),
            () => new MemberSample(0.1, 0.4, true, 0, 0, 0, 0, 0, 0, 0), _ => { }, m => { lock (warnings) warnings.Add(m); }, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var running = membership.RunAsync(stop.Token);

        await Eventually.Until(() => Interlocked.Read(ref membership.Failures) >= 2, "calls fail while nothing listens");
        Assert.False(running.IsCompleted); // reported, never thrown
        Assert.False(membership.Registered);
        lock (warnings) Assert.Single(warnings, w => w.Contains("unreachable", StringComparison.Ordinal)); // said once, not per retry

        await using var server = await Serve(port);
        using var admin = Client(server, Admin);
        var reserved = await admin.Calls.ReserveLoadBalancerAsync(new ReserveLoadBalancerRequest { Name = "late" }, admin.Options());
        // The membership's URI carries the wrong token: it is refused (PermissionDenied), and still retries.
        await Eventually.Until(() => warnings.Any(w => w.Contains("PermissionDenied", StringComparison.Ordinal)), "the refusal is reported");
        Assert.False(membership.Registered);
        await stop.CancelAsync();
        await running;

        using var good = new LbClient(uri with { Token = reserved.Token });
        var member = new LbMembership(good, new MemberRegistration("node-r", 1, IPAddress.Loopback, 20600, 0, 0, 0, false),
            () => new MemberSample(0.1, 0.4, true, 5, 5, 0, 5, 0, 500, 10), _ => { }, _ => { }, TimeProvider.System);
        using var stop2 = new CancellationTokenSource();
        var run2 = member.RunAsync(stop2.Token);
        await Eventually.Until(() => Interlocked.Read(ref member.StatesSent) >= 3, "states every 100 ms");
        Assert.Equal(10, server.Registry.Find("1")!.Value.Instance.Sessions.Single().LastReport!.Value.PacketsReceived);
        Assert.True(await member.DeregisterAsync(TimeSpan.FromSeconds(5)));
        await run2;
        Assert.Empty(server.Registry.Find("1")!.Value.Instance.Sessions);
    }

    [Fact]
    public async Task Over_tls_an_ejfats_client_that_trusts_the_site_certificate_reserves_and_one_that_does_not_is_refused()
    {
        using var temp = new TempDir();
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=streams-lb-test", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var (certPem, keyPem) = (temp.File("lb.crt"), temp.File("lb.key"));
        await File.WriteAllTextAsync(certPem, cert.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPem, key.ExportPkcs8PrivateKeyPem());

        await using var server = await LbServer.StartAsync(
            new LbServerOptions { Control = new IPEndPoint(IPAddress.Loopback, 0), Tls = (certPem, keyPem) },
            new LbOptions { Data = new IPEndPoint(IPAddress.Loopback, 0), AdminToken = Admin },
            ForwardingDataPlane.Factory);
        Assert.True(server.Tls);
        var uri = new EjfatUri(true, Admin, "127.0.0.1", server.Control.Port, null, null, null);

        using var trusting = new LbClient(uri, trustedCa: System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(cert.RawData));
        var reply = await trusting.Calls.ReserveLoadBalancerAsync(new ReserveLoadBalancerRequest { Name = "tls" }, trusting.Options());
        Assert.StartsWith("ejfats://", reply.EjfatUri, StringComparison.Ordinal);

        using var stranger = new LbClient(uri); // the system's trust store does not know this certificate
        var e = await Assert.ThrowsAsync<RpcException>(async () => await stranger.Calls.VersionAsync(new VersionRequest(), stranger.Options()));
        Assert.Contains(e.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.Contains("SSL", e.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("TLS:", LbClient.Describe(e), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_control_port_another_program_holds_fails_the_start_with_one_line()
    {
        var held = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        held.Start();
        try
        {
            var port = ((IPEndPoint)held.LocalEndpoint).Port;
            var e = await Assert.ThrowsAsync<IOException>(() => Serve(port));
            Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            held.Dispose();
        }
    }
}

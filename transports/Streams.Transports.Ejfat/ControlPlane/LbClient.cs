using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Streams.Transports.Ejfat.ControlPlane.Wire;

namespace Streams.Transports.Ejfat.ControlPlane;

/// <summary>
/// A client of an EJFAT control plane (udplbd, or `streams lb`) over gRPC (Grpc.Net.Client): plain HTTP/2 for
/// <c>ejfat://</c>, TLS for <c>ejfats://</c> (the system's trust store, or a site CA given to the constructor).
/// Every call carries <c>authorization: Bearer TOKEN</c>, the URI's token unless a call names another (a session's).
/// </summary>
internal sealed class LbClient : IDisposable
{
    private readonly GrpcChannel _channel;

    public LbClient(EjfatUri uri, X509Certificate2? trustedCa = null, TimeSpan? callTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(uri);
        Uri = uri;
        CallTimeout = callTimeout ?? TimeSpan.FromSeconds(5);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = CallTimeout,
            EnableMultipleHttp2Connections = false,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        };
        if (uri.Tls && trustedCa is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
            {
                if (errors == System.Net.Security.SslPolicyErrors.None) return true;
                if (cert is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(trustedCa);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(cert));
            };
        }

        _channel = GrpcChannel.ForAddress(uri.ControlAddress, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        Calls = new Wire.LoadBalancer.LoadBalancerClient(_channel);
    }

    public EjfatUri Uri { get; }

    public TimeSpan CallTimeout { get; }

    public Wire.LoadBalancer.LoadBalancerClient Calls { get; }

    /// <summary>Call options with the bearer token (the URI's unless given) and the call deadline.</summary>
    public CallOptions Options(string? token = null, CancellationToken ct = default)
    {
        var headers = new Metadata();
        if ((token ?? Uri.Token) is { Length: > 0 } t) headers.Add("authorization", $"Bearer {t}");
        return new CallOptions(headers, DateTime.UtcNow + CallTimeout, ct);
    }

    public async Task<LoadBalancerStatusReply> StatusAsync(CancellationToken ct = default) =>
        await Calls.LoadBalancerStatusAsync(new LoadBalancerStatusRequest { LbId = Uri.LbId ?? "" }, Options(ct: ct)).ConfigureAwait(false);

    public async Task<ReserveLoadBalancerReply> GetAsync(CancellationToken ct = default) =>
        await Calls.GetLoadBalancerAsync(new GetLoadBalancerRequest { LbId = Uri.LbId ?? "" }, Options(ct: ct)).ConfigureAwait(false);

    public async Task AddSendersAsync(IEnumerable<string> senders, CancellationToken ct = default)
    {
        var request = new AddSendersRequest { LbId = Uri.LbId ?? "" };
        request.SenderAddresses.AddRange(senders);
        await Calls.AddSendersAsync(request, Options(ct: ct)).ConfigureAwait(false);
    }

    public async Task RemoveSendersAsync(IEnumerable<string> senders, CancellationToken ct = default)
    {
        var request = new RemoveSendersRequest { LbId = Uri.LbId ?? "" };
        request.SenderAddresses.AddRange(senders);
        await Calls.RemoveSendersAsync(request, Options(ct: ct)).ConfigureAwait(false);
    }

    /// <summary>One line for a failed call: the status and the server's reason, or the transport's.</summary>
    public static string Describe(Exception e) => e switch
    {
        RpcException r when r.Status.Detail.Contains("SSL", StringComparison.Ordinal) => $"TLS: no trusted connection to the control plane ({r.Status.Detail})",
        RpcException r when r.StatusCode == StatusCode.Unavailable => $"control plane unreachable ({r.Status.Detail})",
        RpcException r when r.StatusCode == StatusCode.DeadlineExceeded => "control plane did not answer in time",
        RpcException r => $"{r.StatusCode}: {r.Status.Detail}",
        _ => e.Message,
    };

    public void Dispose() => _channel.Dispose();
}

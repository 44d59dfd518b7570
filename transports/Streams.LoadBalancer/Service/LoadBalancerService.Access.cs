using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Streams.LoadBalancer.Instances;
using Streams.Transports.Ejfat.ControlPlane;

namespace Streams.LoadBalancer.Service;

/// <summary>Who may call what (bearer tokens), and the addresses a reply names.</summary>
internal sealed partial class LoadBalancerService
{
    private static string? Bearer(ServerCallContext context)
    {
        var value = context.RequestHeaders.GetValue("authorization");
        if (value is null) return null;
        return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : null;
    }

    private bool IsAdmin(string? token) => token is not null && Same(token, registry.Options.AdminToken);

    /// <summary>Constant-time comparison: a token must not leak through how long a refusal takes.</summary>
    private static bool Same(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));

    private void RequireAdmin(ServerCallContext context)
    {
        var token = Bearer(context) ?? throw Fail(StatusCode.Unauthenticated, "no bearer token (metadata 'authorization: Bearer TOKEN')");
        if (!IsAdmin(token)) throw Fail(StatusCode.PermissionDenied, "this call needs the admin token");
    }

    /// <summary>The instance <paramref name="lbId"/>, for the admin token or the instance's own.</summary>
    private (LbInstance Instance, IDataPlane Data) Instance(string lbId, ServerCallContext context)
    {
        var token = Bearer(context) ?? throw Fail(StatusCode.Unauthenticated, "no bearer token (metadata 'authorization: Bearer TOKEN')");
        var found = registry.Find(lbId);
        if (found is null)
        {
            // Only the admin learns which instances exist.
            if (IsAdmin(token)) throw Fail(StatusCode.NotFound, $"no load balancer '{lbId}'");
            throw Fail(StatusCode.PermissionDenied, $"the token does not admit load balancer '{lbId}'");
        }

        if (!IsAdmin(token) && !Same(token, found.Value.Instance.Token)) throw Fail(StatusCode.PermissionDenied, $"the token does not admit load balancer '{lbId}'");
        return found.Value;
    }

    /// <summary>A member's session, for the admin token, its instance's, or its own session token.</summary>
    private (LbInstance Instance, IDataPlane Data, Session Session) Member(string lbId, string sessionId, ServerCallContext context)
    {
        var token = Bearer(context) ?? throw Fail(StatusCode.Unauthenticated, "no bearer token (metadata 'authorization: Bearer TOKEN')");
        var found = registry.Find(lbId) ?? throw Fail(StatusCode.NotFound, $"no load balancer '{lbId}'");
        if (!long.TryParse(sessionId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)) throw Fail(StatusCode.InvalidArgument, $"sessionId '{sessionId}' is not a session id");
        var session = found.Instance.Find(id) ?? throw Fail(StatusCode.NotFound, $"session {sessionId} has ended (deregistered, or silent too long); register again");
        if (!IsAdmin(token) && !Same(token, found.Instance.Token) && !Same(token, session.Token)) throw Fail(StatusCode.PermissionDenied, $"the token does not admit session {sessionId}");
        return (found.Instance, found.Data, session);
    }

    private static IPAddress ParseAddress(string text, string field) =>
        IPAddress.TryParse(text, out var a) ? a : throw Fail(StatusCode.InvalidArgument, $"{field}: '{text}' is not an IP address");

    private static RpcException Fail(StatusCode code, string message) => new(new Status(code, message));

    /// <summary>An address clients can reach: a wildcard bind is named by the address this call came in on.</summary>
    private static IPEndPoint PublicEndPoint(IPEndPoint bound, ServerCallContext context)
    {
        if (!bound.Address.Equals(IPAddress.Any) && !bound.Address.Equals(IPAddress.IPv6Any)) return bound;
        var local = context.GetHttpContext().Connection.LocalIpAddress;
        if (local is null) return new IPEndPoint(IPAddress.Loopback, bound.Port);
        return new IPEndPoint(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local, bound.Port);
    }

    /// <summary>The instance's EJFAT URI, with the control address this call was made to.</summary>
    private string Uri(LbInstance instance, IDataPlane data, ServerCallContext context, string? token)
    {
        var http = context.GetHttpContext();
        var host = http.Connection.LocalIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : "127.0.0.1";
        var uri = new EjfatUri(http.Request.IsHttps, token, host, http.Connection.LocalPort, instance.Id,
            PublicEndPoint(data.LocalEndPoint, context), registry.Options.Sync is { } s ? PublicEndPoint(s, context) : null);
        return uri.ToString();
    }
}

using System.Globalization;
using System.Net;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Streams.LoadBalancer.Balancing;
using Streams.LoadBalancer.Instances;
using Streams.Transports.Ejfat.ControlPlane.Wire;
using WireService = Streams.Transports.Ejfat.ControlPlane.Wire.LoadBalancer;

namespace Streams.LoadBalancer.Service;

/// <summary>
/// udplbd's gRPC service (PROTOCOLS.md section 7) over an <see cref="LbRegistry"/>. Tokens go in the
/// <c>authorization: Bearer TOKEN</c> metadata: the admin token covers every call; an instance's token (from Reserve)
/// covers that instance (Get, Status, Add/RemoveSenders, Register, and its members' calls); a session's token (from
/// Register) covers SendState and Deregister of that session. A refusal is an <see cref="RpcException"/> with the
/// reason, never a crash of the server.
/// </summary>
internal sealed partial class LoadBalancerService(LbRegistry registry) : WireService.LoadBalancerBase
{
    public const string CompatTag = "0.3.1";

    public override Task<ReserveLoadBalancerReply> ReserveLoadBalancer(ReserveLoadBalancerRequest request, ServerCallContext context)
    {
        RequireAdmin(context);
        var strategy = request.Strategy switch
        {
            "" or "dynamic" => SlotStrategy.Dynamic,
            "static" => SlotStrategy.Static,
            _ => throw Fail(StatusCode.InvalidArgument, $"strategy '{request.Strategy}' is not supported (dynamic or static)"),
        };
        var senders = request.SenderAddresses.Select(a => ParseAddress(a, "senderAddresses")).ToList();
        var until = request.Until is { } u && u.Seconds > 0 ? u.ToDateTimeOffset() : (DateTimeOffset?)null;
        var reserved = registry.Reserve(string.IsNullOrWhiteSpace(request.Name) ? "lb" : request.Name, strategy, until, senders)
            ?? throw Fail(StatusCode.ResourceExhausted, $"all {registry.Options.MaxInstances} load balancer instances are reserved");
        var reply = Describe(reserved.Instance, reserved.Data, context);
        reply.Token = reserved.Instance.Token;
        reply.EjfatUri = Uri(reserved.Instance, reserved.Data, context, reserved.Instance.Token);
        return Task.FromResult(reply);
    }

    public override Task<ReserveLoadBalancerReply> GetLoadBalancer(GetLoadBalancerRequest request, ServerCallContext context)
    {
        var (instance, data) = Instance(request.LbId, context);
        var reply = Describe(instance, data, context);
        reply.EjfatUri = Uri(instance, data, context, token: null);
        return Task.FromResult(reply);
    }

    public override Task<LoadBalancerStatusReply> LoadBalancerStatus(LoadBalancerStatusRequest request, ServerCallContext context)
    {
        var (instance, data) = Instance(request.LbId, context);
        return Task.FromResult(Status(instance));
    }

    public override Task<FreeLoadBalancerReply> FreeLoadBalancer(FreeLoadBalancerRequest request, ServerCallContext context)
    {
        RequireAdmin(context);
        if (!registry.Free(request.LbId)) throw Fail(StatusCode.NotFound, $"no load balancer '{request.LbId}'");
        return Task.FromResult(new FreeLoadBalancerReply());
    }

    public override Task<AddSendersReply> AddSenders(AddSendersRequest request, ServerCallContext context)
    {
        var (instance, _) = Instance(request.LbId, context);
        instance.AddSenders(request.SenderAddresses.Select(a => ParseAddress(a, "senderAddresses")).ToList());
        return Task.FromResult(new AddSendersReply());
    }

    public override Task<RemoveSendersReply> RemoveSenders(RemoveSendersRequest request, ServerCallContext context)
    {
        var (instance, _) = Instance(request.LbId, context);
        instance.RemoveSenders(request.SenderAddresses.Select(a => ParseAddress(a, "senderAddresses")).ToList());
        return Task.FromResult(new RemoveSendersReply());
    }

    public override Task<RegisterReply> Register(RegisterRequest request, ServerCallContext context)
    {
        var (instance, _) = Instance(request.LbId, context);
        var address = ParseAddress(request.IpAddress, "ipAddress");
        var bits = (int)request.PortRange;
        if (request.UdpPort is 0 or > 65535 || request.UdpPort + (1u << bits) - 1 > 65535) throw Fail(StatusCode.InvalidArgument, $"udpPort {request.UdpPort} with portRange 2^{bits} is outside 1..65535");
        if (request.MinFactor < 0 || request.MaxFactor < 0 || (request.MaxFactor > 0 && request.MaxFactor < request.MinFactor)) throw Fail(StatusCode.InvalidArgument, $"minFactor {request.MinFactor} / maxFactor {request.MaxFactor} are not 0 <= min <= max (max 0: none)");
        if (float.IsNaN(request.Weight) || request.Weight < 0) throw Fail(StatusCode.InvalidArgument, $"weight {request.Weight} is not >= 0");
        var session = instance.Register(string.IsNullOrWhiteSpace(request.Name) ? $"member-{request.IpAddress}:{request.UdpPort}" : request.Name,
            request.Weight, address, (int)request.UdpPort, bits, request.MinFactor, request.MaxFactor, request.KeepLbHeader, registry.Time.GetUtcNow());
        return Task.FromResult(new RegisterReply { Token = session.Token, SessionId = session.Id.ToString(CultureInfo.InvariantCulture) });
    }

    public override Task<DeregisterReply> Deregister(DeregisterRequest request, ServerCallContext context)
    {
        var (instance, data, session) = Member(request.LbId, request.SessionId, context);
        instance.Deregister(session.Id, registry.Time.GetUtcNow(), data.LastTick);
        return Task.FromResult(new DeregisterReply());
    }

    public override Task<SendStateReply> SendState(SendStateRequest request, ServerCallContext context)
    {
        var (instance, data, session) = Member(request.LbId, request.SessionId, context);
        if (float.IsNaN(request.FillPercent) || request.FillPercent < 0 || request.FillPercent > 1) throw Fail(StatusCode.InvalidArgument, $"fillPercent {request.FillPercent} is outside [0, 1]");
        if (!float.IsFinite(request.ControlSignal)) throw Fail(StatusCode.InvalidArgument, $"controlSignal {request.ControlSignal} is not a number");
        // The control plane's clock decides staleness (a member's clock may be off); its timestamp is kept for Status.
        var report = new MemberReport(registry.Time.GetUtcNow(), request.FillPercent, request.ControlSignal, request.IsReady,
            request.TotalEventsRecv, request.TotalEventsReassembled, request.TotalEventsReassemblyErr, request.TotalEventsDequeued,
            request.TotalEventEnqueueErr, request.TotalBytesRecv, request.TotalPacketsRecv);
        if (!instance.Report(session.Id, report, data.LastTick)) throw Fail(StatusCode.NotFound, $"session {session.Id} has ended; register again");
        return Task.FromResult(new SendStateReply());
    }

    public override Task<OverviewReply> Overview(OverviewRequest request, ServerCallContext context)
    {
        RequireAdmin(context);
        var reply = new OverviewReply();
        foreach (var (instance, data) in registry.All)
        {
            reply.LoadBalancers.Add(new Streams.Transports.Ejfat.ControlPlane.Wire.Overview { Name = instance.Name, Reservation = Describe(instance, data, context), Status = Status(instance) });
        }

        return Task.FromResult(reply);
    }

    public override Task<VersionReply> Version(VersionRequest request, ServerCallContext context) =>
        Task.FromResult(new VersionReply
        {
            Commit = typeof(LoadBalancerService).Assembly.GetName().Version?.ToString() ?? "0",
            Build = "streams-lb",
            CompatTag = CompatTag,
        });

    private LoadBalancerStatusReply Status(LbInstance instance)
    {
        var now = registry.Time.GetUtcNow();
        var reply = new LoadBalancerStatusReply
        {
            Timestamp = Timestamp.FromDateTimeOffset(now),
            CurrentEpoch = instance.CurrentEpoch,
            CurrentPredictedEventNumber = (ulong)Math.Max(0, instance.PredictTick(now) ?? 0),
            SlotResolution = SlotAllocator.Slots,
        };
        if (instance.Until is { } until) reply.ExpiresAt = Timestamp.FromDateTimeOffset(until);
        reply.SenderAddresses.AddRange(instance.Senders.Select(a => a.ToString()));
        foreach (var s in instance.Sessions)
        {
            var r = s.LastReport;
            reply.Workers.Add(new WorkerStatus
            {
                Name = s.Name,
                FillPercent = (float)(r?.Fill ?? 0),
                ControlSignal = (float)(r?.ControlSignal ?? 0),
                SlotsAssigned = (uint)s.Slots,
                LastUpdated = Timestamp.FromDateTimeOffset(s.LastHeard),
                IpAddress = s.Address.ToString(),
                UdpPort = (uint)s.BasePort,
                PortRange = (PortRange)s.PortRangeBits,
                MinFactor = (float)s.MinFactor,
                MaxFactor = (float)s.MaxFactor,
                KeepLbHeader = s.KeepLbHeader,
                TotalEventsRecv = r?.EventsReceived ?? 0,
                TotalEventsReassembled = r?.EventsReassembled ?? 0,
                TotalEventsReassemblyErr = r?.EventsReassemblyErrors ?? 0,
                TotalEventsDequeued = r?.EventsDequeued ?? 0,
                TotalEventEnqueueErr = r?.EventEnqueueErrors ?? 0,
                TotalBytesRecv = r?.BytesReceived ?? 0,
                TotalPacketsRecv = r?.PacketsReceived ?? 0,
                SessionId = s.Id,
            });
        }

        return reply;
    }

    private ReserveLoadBalancerReply Describe(LbInstance instance, IDataPlane data, ServerCallContext context)
    {
        var dataEp = PublicEndPoint(data.LocalEndPoint, context);
        var reply = new ReserveLoadBalancerReply
        {
            LbId = instance.Id,
            FpgaLbId = uint.Parse(instance.Id, CultureInfo.InvariantCulture),
            DataMinPort = (uint)dataEp.Port,
            DataMaxPort = (uint)dataEp.Port,
            Strategy = instance.Strategy.ToString().ToLowerInvariant(),
        };
        if (dataEp.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) reply.DataIpv6Address = dataEp.Address.ToString();
        else reply.DataIpv4Address = dataEp.Address.ToString();
        if (registry.Options.Sync is { } sync)
        {
            var s = PublicEndPoint(sync, context);
            if (s.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) reply.SyncIpv6Address = s.Address.ToString();
            else reply.SyncIpv4Address = s.Address.ToString();
            reply.SyncUdpPort = (uint)s.Port;
        }

        return reply;
    }
}

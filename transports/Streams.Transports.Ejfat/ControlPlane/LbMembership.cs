using System.Net;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Streams.Transports.Ejfat.ControlPlane.Wire;

namespace Streams.Transports.Ejfat.ControlPlane;

/// <summary>What a receiver registers with the load balancer (Register's fields).</summary>
internal sealed record MemberRegistration(string Name, double Weight, IPAddress Address, int UdpPort, int PortRangeBits, double MinFactor, double MaxFactor, bool KeepLbHeader);

/// <summary>One SendState: the fill of the queue the receiver feeds, its control signal, readiness and the counters.</summary>
internal readonly record struct MemberSample(double Fill, double ControlSignal, bool IsReady, long EventsReceived, long EventsReassembled, long EventsReassemblyErrors, long EventsDequeued, long EventEnqueueErrors, long BytesReceived, long PacketsReceived);

/// <summary>
/// A receiver's membership of a load balancer, as E2SAR's LBManager keeps it: Register, then SendState every
/// <see cref="Interval"/> with what <c>sample</c> reads, and Deregister when the receiver drains. A control plane that
/// is unreachable or refuses is retried with exponential backoff (0.25 s doubling to 5 s) and reported to the log when
/// the reason changes, never thrown: a node keeps receiving what the load balancer already sends. A session the control
/// plane has forgotten (NotFound: it was silent too long) is registered again.
/// </summary>
internal sealed class LbMembership(LbClient client, MemberRegistration registration, Func<MemberSample> sample, Action<string> info, Action<string> warn, TimeProvider time)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastBackoff = TimeSpan.FromSeconds(5);
    private readonly Lock _lock = new();
    private string? _sessionId;
    private string? _sessionToken;
    private string? _lastProblem;
    private bool _leaving;

    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(100);

    public string? SessionId => Volatile.Read(ref _sessionId);

    public bool Registered => SessionId is not null;

    public long Registrations;
    public long StatesSent;
    public long Failures;

    /// <summary>Set once the first Register succeeded.</summary>
    public Task FirstRegistration => _registered.Task;

    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Registers and reports until <paramref name="ct"/> is cancelled or <see cref="DeregisterAsync"/> is called.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = FirstBackoff;
        while (!ct.IsCancellationRequested && !Volatile.Read(ref _leaving))
        {
            var wait = Interval;
            try
            {
                if (SessionId is null) await RegisterAsync(ct).ConfigureAwait(false);
                else await SendStateAsync(ct).ConfigureAwait(false);
                backoff = FirstBackoff;
                if (_lastProblem is not null) info($"load balancer {client.Uri.ControlHost}:{client.Uri.ControlPort}: reachable again");
                _lastProblem = null;
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is RpcException or OperationCanceledException)
            {
                break; // stopped in the middle of a call: not a failure
            }
            catch (RpcException e)
            {
                Interlocked.Increment(ref Failures);
                if (e.StatusCode == StatusCode.NotFound && SessionId is not null)
                {
                    lock (_lock) (_sessionId, _sessionToken) = (null, null);
                    warn($"load balancer forgot session ({e.Status.Detail}); registering again");
                    continue;
                }

                Problem(LbClient.Describe(e), backoff);
                wait = backoff;
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, LastBackoff.Ticks));
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is not OperationCanceledException)
            {
                Interlocked.Increment(ref Failures);
                Problem(e.Message, backoff);
                wait = backoff;
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, LastBackoff.Ticks));
            }

            try
            {
                await Task.Delay(wait, time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void Problem(string reason, TimeSpan retryIn)
    {
        if (reason == _lastProblem) return;
        _lastProblem = reason;
        warn($"load balancer {client.Uri.ControlHost}:{client.Uri.ControlPort}: {reason}; retrying (every {retryIn.TotalSeconds:0.##} s, backing off to {LastBackoff.TotalSeconds:0} s)");
    }

    private async Task RegisterAsync(CancellationToken ct)
    {
        var r = registration;
        var reply = await client.Calls.RegisterAsync(new RegisterRequest
        {
            LbId = client.Uri.LbId ?? "",
            Name = r.Name,
            Weight = (float)r.Weight,
            IpAddress = r.Address.ToString(),
            UdpPort = (uint)r.UdpPort,
            PortRange = (PortRange)r.PortRangeBits,
            MinFactor = (float)r.MinFactor,
            MaxFactor = (float)r.MaxFactor,
            KeepLbHeader = r.KeepLbHeader,
        }, client.Options(ct: ct)).ConfigureAwait(false);
        lock (_lock)
        {
            if (_leaving) return;
            (_sessionId, _sessionToken) = (reply.SessionId, reply.Token);
        }

        Interlocked.Increment(ref Registrations);
        info($"registered with load balancer {client.Uri.LbId} at {client.Uri.ControlHost}:{client.Uri.ControlPort} as '{r.Name}' ({r.Address}:{r.UdpPort}, 2^{r.PortRangeBits} ports), session {reply.SessionId}");
        _registered.TrySetResult();
        await SendStateAsync(ct).ConfigureAwait(false); // at once: it is ready now, not in 100 ms
    }

    private async Task SendStateAsync(CancellationToken ct)
    {
        string? id, token;
        lock (_lock) (id, token) = (_sessionId, _sessionToken);
        if (id is null) return;
        var s = sample();
        await client.Calls.SendStateAsync(new SendStateRequest
        {
            LbId = client.Uri.LbId ?? "",
            SessionId = id,
            Timestamp = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
            FillPercent = (float)Math.Clamp(s.Fill, 0, 1),
            ControlSignal = (float)s.ControlSignal,
            IsReady = s.IsReady,
            TotalEventsRecv = s.EventsReceived,
            TotalEventsReassembled = s.EventsReassembled,
            TotalEventsReassemblyErr = s.EventsReassemblyErrors,
            TotalEventsDequeued = s.EventsDequeued,
            TotalEventEnqueueErr = s.EventEnqueueErrors,
            TotalBytesRecv = s.BytesReceived,
            TotalPacketsRecv = s.PacketsReceived,
        }, client.Options(token, ct)).ConfigureAwait(false);
        Interlocked.Increment(ref StatesSent);
    }

    /// <summary>
    /// Sends one SendState now (the sample as it stands: a draining receiver says it is not ready, and the load
    /// balancer deals its slots away at once); false when it could not be sent (reported, not thrown).
    /// </summary>
    public async Task<bool> ReportNowAsync(TimeSpan within)
    {
        using var limit = new CancellationTokenSource(within);
        try
        {
            await SendStateAsync(limit.Token).ConfigureAwait(false);
            return SessionId is not null;
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or HttpRequestException)
        {
            warn($"could not report the state to the load balancer: {LbClient.Describe(e)}");
            return false;
        }
    }

    /// <summary>
    /// Leaves the load balancer: no more states, then Deregister (retried a few times within
    /// <paramref name="within"/>). Returns false when the control plane could not be told (the session then expires there
    /// after its silence timeout, and the member loses its slots the same way).
    /// </summary>
    public async Task<bool> DeregisterAsync(TimeSpan within)
    {
        string? id, token;
        lock (_lock)
        {
            _leaving = true;
            (id, token) = (_sessionId, _sessionToken);
            (_sessionId, _sessionToken) = (null, null);
        }

        if (id is null) return false;
        using var limit = new CancellationTokenSource(within);
        var backoff = FirstBackoff;
        while (true)
        {
            try
            {
                await client.Calls.DeregisterAsync(new DeregisterRequest { LbId = client.Uri.LbId ?? "", SessionId = id }, client.Options(token, limit.Token)).ConfigureAwait(false);
                info($"deregistered from load balancer {client.Uri.LbId} (session {id})");
                return true;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                return true; // already gone
            }
            catch (Exception e) when (e is RpcException or HttpRequestException && !limit.IsCancellationRequested)
            {
                warn($"deregistering: {LbClient.Describe(e)}; retrying");
                try
                {
                    await Task.Delay(backoff, limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }

                backoff *= 2;
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException)
            {
                warn($"could not deregister from the load balancer within {within.TotalSeconds:0.#} s: {LbClient.Describe(e)}; the session expires there");
                return false;
            }
        }
    }
}

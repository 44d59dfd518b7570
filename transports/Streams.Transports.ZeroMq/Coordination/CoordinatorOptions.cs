using NetMQ;

namespace Streams.Transports.ZeroMq.Coordination;

/// <summary>How a coordinator listens for workers and decides they are gone.</summary>
public sealed record CoordinatorOptions
{
    /// <summary>Where workers connect, as <c>tcp://HOST:PORT</c> (HOST may be <c>*</c> or <c>0.0.0.0</c> for every interface).</summary>
    public required string Listen { get; init; }

    /// <summary>How often each side sends a heartbeat.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A worker silent for this long is declared dead and its batches go to other workers.</summary>
    public TimeSpan DeadAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long batches may wait while no worker is connected before they are failed (counted, so the run can end
    /// with every event accounted for). Long enough for a node to be granted and boot.
    /// </summary>
    public TimeSpan WorkerWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Batches of one remote stage that may be in flight at once (waiting for or held by workers).</summary>
    public int Slots { get; init; } = 64;

    /// <summary>CurveZMQ: the coordinator's certificate (with secret key); null for plain TCP.</summary>
    public NetMQCertificate? Curve { get; init; }

    /// <summary>CurveZMQ: public keys of the workers allowed to join; null or empty admits any worker that knows the coordinator's public key.</summary>
    public IReadOnlyList<byte[]>? AllowedWorkers { get; init; }

    /// <summary>Prometheus file-based service discovery to keep up to date with the connected workers' metrics endpoints; null for none.</summary>
    public ScrapeTargets? ScrapeTargets { get; init; }

    /// <summary>The clock for heartbeats, deadlines and log summaries (null: the system's); tests pass a fake one (the wall-clock timers only make the checks happen).</summary>
    public TimeProvider? Time { get; init; }
}

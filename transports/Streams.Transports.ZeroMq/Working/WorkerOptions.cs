using NetMQ;

namespace Streams.Transports.ZeroMq.Working;

/// <summary>How a worker process joins a coordinator.</summary>
public sealed record WorkerOptions
{
    /// <summary>The coordinator, <c>tcp://HOST:PORT</c>.</summary>
    public required string Join { get; init; }

    /// <summary>Name shown in the coordinator's log, metrics and summary.</summary>
    public string Name { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Batches held per thread (one being processed, the rest queued so no thread waits for the network).</summary>
    public int CreditPerThread { get; init; } = 2;

    /// <summary>Overrides the threads per stage that the pipeline asks for (null: as the pipeline says).</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// How long to keep trying to reach a coordinator before exiting: from the start, or from when a silent coordinator
    /// was noticed (after the coordinator's dead-after) and the worker began reconnecting.
    /// </summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>CurveZMQ: the coordinator's public key (null: plain TCP).</summary>
    public byte[]? ServerKey { get; init; }

    /// <summary>CurveZMQ: this worker's certificate (null: a fresh one per run, enough when the coordinator admits any key).</summary>
    public NetMQCertificate? Certificate { get; init; }

    /// <summary>Where this worker serves its metrics (HOST:PORT), told to the coordinator for Prometheus service discovery; null: nowhere.</summary>
    public string? MetricsAddress { get; init; }

    /// <summary>The registry for this worker's <c>streams_worker_process_*</c> metrics (null: a private one nobody serves).</summary>
    public Streams.Engine.Metrics.MetricsRegistry? Registry { get; init; }

    /// <summary>The clock for liveness (heartbeats, reconnecting, giving up) and log summaries (null: the system's).</summary>
    public TimeProvider? Time { get; init; }
}

/// <summary>How a worker process ended.</summary>
public enum WorkerExit
{
    /// <summary>The run ended or the worker left after draining.</summary>
    Done = 0,

    /// <summary>The coordinator refused it (key, protocol) or it cannot run the stages (unknown operator, bad config).</summary>
    Refused = 2,

    /// <summary>No coordinator answered for <see cref="WorkerOptions.GiveUpAfter"/>.</summary>
    CoordinatorLost = 3,
}

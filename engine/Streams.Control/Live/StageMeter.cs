using System.Diagnostics;
using Streams.Control.Laws;
using Streams.Engine.Runtime;

namespace Streams.Control.Live;

/// <summary>
/// A stage's cumulative counters at one moment, as the controller reads them: from the pipeline's latest snapshot
/// (time, events in and out, queue, threads) and the stage's own counters (batches, busy time).
/// </summary>
/// <param name="Time">Seconds since the pipeline started (the snapshot's).</param>
/// <param name="EventsIn">Events the stage took in, in total.</param>
/// <param name="EventsOut">Events the stage passed on, in total.</param>
/// <param name="Batches">Batches the stage took in, in total.</param>
/// <param name="QueueBatches">Batches waiting for the stage (its queue; on workers, plus those waiting for a worker).</param>
/// <param name="Threads">Threads serving the stage (on workers: across the joined worker processes).</param>
/// <param name="BusySeconds">Thread-seconds the stage spent working, in total.</param>
public readonly record struct StageReading(double Time, long EventsIn, long EventsOut, long Batches, double QueueBatches, int Threads, double BusySeconds)
{
    /// <summary>The reading of <paramref name="stage"/> in snapshot <paramref name="snap"/>; null when the snapshot does not hold it.</summary>
    public static StageReading? Of(PipelineSnapshot snap, IStage stage, IRemoteStages? remote = null)
    {
        ArgumentNullException.ThrowIfNull(snap);
        ArgumentNullException.ThrowIfNull(stage);
        var s = snap.Stages.FirstOrDefault(x => x.Name == stage.Name);
        if (s is null) return null;
        var state = remote?.StateOf(stage.Name);
        return new StageReading(snap.Elapsed.TotalSeconds, s.EventsIn, s.EventsOut, stage.Stats.Batches, s.QueueDepth + (state?.WaitingBatches ?? 0),
            state?.Threads ?? s.Threads, stage.Stats.BusyTicks / (double)Stopwatch.Frequency);
    }

    /// <summary>Events per batch so far (1 before the first batch).</summary>
    public double PerBatch => Batches > 0 ? (double)EventsIn / Batches : 1;

    /// <summary>Events waiting in front of the stage.</summary>
    public double QueueEvents => QueueBatches * PerBatch;
}

/// <summary>
/// Measurement: turns two readings of a stage's cumulative counters into what a law sees (<see cref="ControlObservation"/>):
/// queue, arrival rate, service rate, utilisation and allocation over the interval between them. A stage in this
/// process is measured by its busy time; a stage on workers by what it completed while work waited (its service rate
/// per thread: the prior until it is first saturated).
/// </summary>
public sealed class StageMeter(double priorServiceRate = double.NaN)
{
    private StageReading? _last;

    /// <summary>Per-thread service rate of a stage on workers: the prior, then the last saturated measurement.</summary>
    public double ServiceRate { get; private set; } = priorServiceRate;

    /// <summary>The first reading only sets the baseline (null); a reading no newer than the last is not measured (null).</summary>
    public ControlObservation? Local(StageReading r)
    {
        if (Advance(r) is not { } last) return null;
        var dt = r.Time - last.Time;
        var queue = r.QueueEvents;
        var served = r.EventsIn - last.EventsIn;
        var arrivals = Math.Max(0, served + (queue - last.QueueEvents));
        var busy = r.BusySeconds - last.BusySeconds;
        var mu = busy > 1e-6 ? served / busy : double.NaN;
        var utilisation = Math.Clamp(busy / Math.Max(1e-9, r.Threads * dt), 0, 1);
        return new ControlObservation(r.Time, dt, queue, arrivals / dt, mu, r.Threads, 0, utilisation, queue > 0 ? 1 : utilisation);
    }

    /// <summary>As <see cref="Local"/>, for a stage on workers with <paramref name="pendingServers"/> servers on their way (nodes booting).</summary>
    public ControlObservation? Remote(StageReading r, int pendingServers, double pendingAgeSeconds)
    {
        if (Advance(r) is not { } last) return null;
        var dt = r.Time - last.Time;
        var queue = r.QueueEvents;
        var served = r.EventsOut - last.EventsOut;
        var arrivals = Math.Max(0, (r.EventsIn - last.EventsIn) + (queue - last.QueueEvents));
        var ready = r.Threads;
        // Saturated (work waits), the rate per thread is what they did; otherwise keep the last estimate (or the prior).
        if (ready > 0 && queue > r.PerBatch && served > 0) ServiceRate = served / (ready * dt);
        var utilisation = ready > 0 ? Math.Clamp(served / (ready * ServiceRate * dt), 0, 1) : 0;
        return new ControlObservation(r.Time, dt, queue, arrivals / dt, ServiceRate, ready, pendingServers, utilisation, queue > 0 ? 1 : utilisation, pendingAgeSeconds);
    }

    /// <summary>Keeps the baseline of the next interval when nothing can be measured (a provider that cannot be asked).</summary>
    public void Rebase(StageReading r) => _last = r;

    private StageReading? Advance(StageReading r)
    {
        var last = _last;
        if (last is { } l && r.Time <= l.Time) return null;
        _last = r;
        return last;
    }
}

namespace Streams.Control.Laws;

/// <summary>
/// What a control law sees at each tick, for one stage, in servers (worker threads or node cores) and events. In
/// COBaLD's terms: <see cref="Ready"/> is the supply, <see cref="Utilisation"/> the fraction of it doing work,
/// <see cref="Allocation"/> the fraction of it with work assigned (1 while a queue waits).
/// </summary>
/// <param name="Time">Seconds since the controller started.</param>
/// <param name="Interval">Seconds since the previous tick.</param>
/// <param name="Queue">Events waiting in front of the stage.</param>
/// <param name="ArrivalRate">lambda: events per second arriving, over the last interval.</param>
/// <param name="ServiceRate">mu: events per second one server completes while busy (NaN when nothing was served).</param>
/// <param name="Ready">Servers working now.</param>
/// <param name="Pending">Servers requested and not ready yet (nodes booting).</param>
/// <param name="Utilisation">Busy fraction of the ready servers over the last interval.</param>
/// <param name="Allocation">Fraction of the ready servers that had work available over the last interval.</param>
/// <param name="PendingAge">Seconds since the oldest pending request was made (0 when none).</param>
public readonly record struct ControlObservation(
    double Time, double Interval, double Queue, double ArrivalRate, double ServiceRate, int Ready, int Pending, double Utilisation, double Allocation, double PendingAge = 0)
{
    /// <summary>Servers ready or on their way.</summary>
    public int Requested => Ready + Pending;
}

/// <summary>A law's answer: the servers it wants in total (ready + pending), and why, in words.</summary>
public readonly record struct ControlDecision(double Demand, string Reason)
{
    /// <summary>The demand as whole servers.</summary>
    public int Servers => (int)Math.Ceiling(Demand - 1e-9);
}

/// <summary>A control law: turns measurements into a demand. Stateful (windows, accumulated demand); one per stage.</summary>
public interface IControlLaw
{
    /// <summary>The name used in pipeline files and reports (queue-model, linear, relative-supply, hpa).</summary>
    string Name { get; }

    ControlDecision Decide(in ControlObservation o);
}

/// <summary>Limits every law respects.</summary>
public sealed record ControlBounds(int Min = 1, int Max = 64)
{
    public double Clamp(double servers) => Math.Clamp(servers, Min, Max);
}

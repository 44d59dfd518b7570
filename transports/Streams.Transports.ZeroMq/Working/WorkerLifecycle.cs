namespace Streams.Transports.ZeroMq.Working;

/// <summary>Where a worker process stands with its coordinator.</summary>
public enum WorkerState
{
    /// <summary>Saying HELLO (at the start, or again after the coordinator fell silent or forgot it).</summary>
    Connecting,

    /// <summary>Welcomed: it runs the stages and takes work against its credit.</summary>
    Joined,

    /// <summary>It sent LEAVE (asked to leave): it finishes what it holds; the coordinator answers DRAIN.</summary>
    Leaving,

    /// <summary>DRAIN came (no more WORK follows): it says BYE once it has answered everything it holds.</summary>
    Drained,

    /// <summary>Exited: the run ended, it left, it was refused, or it gave up. Nothing leaves it any more.</summary>
    Gone,
}

/// <summary>
/// A worker process's state machine, free of sockets: Connecting -> Joined -> (Leaving ->) Drained -> Gone, back to
/// Connecting from Joined, Leaving or Drained when it reconnects, and to Gone from any state but Gone. Any other move is
/// refused and counted (<see cref="InvalidTransitions"/>). A wish to leave outlives a reconnect
/// (<see cref="LeaveAsked"/>): the worker asks again once it is welcomed. <see cref="State"/> may be read from any thread.
/// </summary>
public sealed class WorkerLifecycle
{
    private int _state = (int)WorkerState.Connecting;
    private long _invalid;

    public WorkerState State => (WorkerState)Volatile.Read(ref _state);

    /// <summary>Asked to leave (a signal, or the coordinator's DRAIN) at some point: it does not take up work again.</summary>
    public bool LeaveAsked { get; private set; }

    /// <summary>Moves refused because the machine does not allow them.</summary>
    public long InvalidTransitions => Interlocked.Read(ref _invalid);

    /// <summary>Whether the machine allows <paramref name="from"/> -> <paramref name="to"/>.</summary>
    public static bool Allowed(WorkerState from, WorkerState to) => (from, to) switch
    {
        (WorkerState.Gone, _) => false,
        (_, WorkerState.Gone) => true,
        (WorkerState.Connecting, WorkerState.Joined) => true,
        (WorkerState.Joined, WorkerState.Leaving or WorkerState.Drained) => true,
        (WorkerState.Leaving, WorkerState.Drained) => true,
        (WorkerState.Joined or WorkerState.Leaving or WorkerState.Drained, WorkerState.Connecting) => true,
        _ => false,
    };

    /// <summary>Moves to <paramref name="to"/>; false (and counted) when the machine does not allow it.</summary>
    public bool Move(WorkerState to)
    {
        if (!Allowed(State, to))
        {
            Interlocked.Increment(ref _invalid);
            return false;
        }

        if (to is WorkerState.Leaving or WorkerState.Drained) LeaveAsked = true;
        Volatile.Write(ref _state, (int)to);
        return true;
    }

    /// <summary>Records the wish to leave without a move (before the worker has joined, or while it reconnects).</summary>
    public void AskToLeave() => LeaveAsked = true;
}

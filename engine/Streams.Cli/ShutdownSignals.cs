using System.Runtime.InteropServices;

namespace Streams.Cli;

/// <summary>
/// Ctrl+C (SIGINT), SIGTERM and SIGHUP (a closed terminal, or SLURM ending a step): the first asks for a graceful
/// drain (stop intake, finish what is in flight, flush the sinks); a second one aborts: <c>abort</c> closes the
/// outputs in a valid state and reports what was lost, then the process exits with status 130.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;
    private readonly Action<string> _drain;
    private readonly Action<string> _announce;
    private readonly Action<string>? _abort;
    private int _count;

    /// <param name="drain">Starts the graceful drain, given the reason.</param>
    /// <param name="announce">Tells the user (a log line).</param>
    /// <param name="abort">Aborts (close outputs, write the summary), given the reason; the process exits after it returns.</param>
    public ShutdownSignals(Action<string> drain, Action<string> announce, Action<string>? abort = null)
    {
        _drain = drain;
        _announce = announce;
        _abort = abort;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Handle(c, "SIGINT (Ctrl+C)")),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Handle(c, "SIGTERM")),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => Handle(c, "SIGHUP")),
        ];
    }

    private void Handle(PosixSignalContext context, string name)
    {
        context.Cancel = true;
        var count = Interlocked.Increment(ref _count);
        if (count > 2) Environment.Exit(Engine.Runtime.ExitCodes.Aborted); // a third signal: no more waiting
        if (count == 1)
        {
            _announce($"{name} received: draining (again to abort)");
            _drain($"{name} received");
            return;
        }

        _announce($"{name} received again: aborting without drain");
        try
        {
            _abort?.Invoke($"{name} received again");
        }
        finally
        {
            Environment.Exit(Engine.Runtime.ExitCodes.Aborted);
        }
    }

    /// <summary>
    /// For commands with nothing to drain (`streams send`, `streams lb`): each of SIGINT, SIGTERM and SIGHUP cancels
    /// <paramref name="stop"/>, and the command ends cleanly. Dispose to unregister.
    /// </summary>
    public static IDisposable Cancelling(CancellationTokenSource stop)
    {
        ArgumentNullException.ThrowIfNull(stop);
        return new DisposableList([.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }
            .Select(sig => PosixSignalRegistration.Create(sig, c =>
            {
                c.Cancel = true;
                stop.Cancel();
            }))]);
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}

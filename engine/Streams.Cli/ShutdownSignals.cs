using System.Runtime.InteropServices;

namespace Streams.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM: the first asks for a graceful drain (stop intake, finish what is in flight, flush the
/// sinks); a second one exits at once with status 130.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;
    private int _count;

    public ShutdownSignals(Action<string> drain, Action<string> announce)
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Handle(c, "SIGINT (Ctrl+C)", drain, announce)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Handle(c, "SIGTERM", drain, announce)),
        ];
    }

    private void Handle(PosixSignalContext context, string name, Action<string> drain, Action<string> announce)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _count) == 1)
        {
            announce($"{name} received: draining (again to abort)");
            drain($"{name} received");
        }
        else
        {
            announce($"{name} received again: aborting without drain");
            Environment.Exit(130);
        }
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}

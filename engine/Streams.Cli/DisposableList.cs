namespace Streams.Cli;

/// <summary>Disposes several things at once (signal registrations, say).</summary>
internal sealed class DisposableList(IReadOnlyList<IDisposable> items) : IDisposable
{
    public void Dispose()
    {
        foreach (var d in items) d.Dispose();
    }
}

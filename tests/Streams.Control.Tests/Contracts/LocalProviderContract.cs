using System.Collections.Concurrent;
using Streams.Control.Nodes;
using Streams.Jrm;

namespace Streams.Control.Tests.Contracts;

/// <summary>
/// The contract over <see cref="LocalProvider"/> with real child processes: a stand-in for <c>streams worker</c> (a
/// shell script) that runs until told to die, and on SIGTERM drains until told to leave; "joined" is what the
/// coordinator would report for the name on its command line.
/// </summary>
public sealed class LocalProviderContract : NodeProviderContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streams-local-contract-").FullName;
    private readonly ConcurrentDictionary<string, bool> _joined = new(StringComparer.Ordinal);
    private readonly LocalProvider _provider;

    public LocalProviderContract()
    {
        var worker = Path.Combine(_dir, "worker.sh");
        // Arguments: worker --join ADDRESS --name NAME --threads N --metrics-listen ADDRESS (WorkerCommandLine).
        File.WriteAllText(worker, $$"""
            [ "$1" = worker ] && [ "$4" = --name ] || exit 64
            name=$5
            trap 'while [ ! -e "{{_dir}}/$name.leave" ]; do sleep 0.05; done; exit 0' TERM
            while [ ! -e "{{_dir}}/$name.die" ]; do sleep 0.05; done
            exit 3
            """);
        _provider = new LocalProvider(new LocalOptions { Join = "tcp://127.0.0.1:1", Command = ["/bin/sh", worker], Cores = 2 }, name => _joined.ContainsKey(name));
    }

    protected override INodeProvider Provider => _provider;

    protected override Task JoinAsync(string id)
    {
        _joined[id] = true;
        return Task.CompletedTask;
    }

    protected override Task DieAsync(string id) => File.WriteAllTextAsync(Path.Combine(_dir, id + ".die"), "");

    protected override Task LeaveAsync(string id) => File.WriteAllTextAsync(Path.Combine(_dir, id + ".leave"), "");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Directory.Delete(_dir, recursive: true);
    }
}

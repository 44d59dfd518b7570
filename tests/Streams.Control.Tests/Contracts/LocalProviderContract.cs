using System.Collections.Concurrent;
using Streams.Control.Nodes;
using Streams.Jrm;
using Streams.TestKit;

namespace Streams.Control.Tests.Contracts;

/// <summary>
/// The contract over <see cref="LocalProvider"/> with real child processes: a stand-in for <c>streams worker</c> (a
/// shell script) that runs until told to die, and on SIGTERM drains until told to leave; it joins once it runs with
/// its SIGTERM handler set (it says so with a file); "joined" is what the
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
            : > "{{_dir}}/$name.started"
            while [ ! -e "{{_dir}}/$name.die" ]; do sleep 0.05; done
            exit 3
            """);
        _provider = new LocalProvider(new LocalOptions { Join = "tcp://127.0.0.1:1", Command = ["/bin/sh", worker], Cores = 2 }, name => _joined.ContainsKey(name));
    }

    protected override INodeProvider Provider => _provider;

    protected override async Task JoinAsync(string id)
    {
        // A worker joins once it runs, its SIGTERM handler set (as streams worker's is before it says HELLO): a release
        // that came sooner would kill the stand-in before it could drain.
        var started = Path.Combine(_dir, id + ".started");
        await Eventually.WaitUntil(() => File.Exists(started));
        _joined[id] = true;
    }

    protected override Task DieAsync(string id) => File.WriteAllTextAsync(Path.Combine(_dir, id + ".die"), "");

    protected override Task LeaveAsync(string id) => File.WriteAllTextAsync(Path.Combine(_dir, id + ".leave"), "");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Directory.Delete(_dir, recursive: true);
    }
}

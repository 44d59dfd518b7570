using Streams.Engine.Operators;

namespace Streams.Operators.Tests;

/// <summary>
/// The operator contract (<see cref="OperatorContractTests"/>) over the full catalog: every operator of every operator
/// project, as the <c>streams</c> command registers them. The table below is the least each operator with required
/// parameters needs; a new operator that needs one fails the first test until it is added here.
/// </summary>
public sealed class OperatorContract : OperatorContractTests, IClassFixture<OperatorContract.Files>
{
    private readonly Files _files;

    public OperatorContract(Files files) => _files = files;

    protected override OperatorCatalog Catalog { get; } = Catalogs.Full();

    protected override IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> MinimalConfigs => new Dictionary<string, IReadOnlyDictionary<string, string>>
    {
        ["arrow-file-sink"] = new Dictionary<string, string> { ["path"] = _files.Dir.File("out.arrow") },
        ["arrow-file-source"] = new Dictionary<string, string> { ["path"] = _files.Input },
        ["hipo-file-sink"] = new Dictionary<string, string> { ["path"] = _files.Dir.File("out.hipo") },
        ["hipo-file-source"] = new Dictionary<string, string> { ["path"] = HipoTestKit.Fixture },
        ["evio-file-sink"] = new Dictionary<string, string> { ["path"] = _files.Dir.File("out.evio") },
        ["evio-file-source"] = new Dictionary<string, string> { ["path"] = _files.EvioInput },
        ["ejfat-sender"] = new Dictionary<string, string> { ["dest"] = $"127.0.0.1:{_files.Udp.Port}" },
        ["zmq-pull"] = new Dictionary<string, string> { ["connect"] = $"tcp://127.0.0.1:{_files.Tcp.Port}" },
        ["zmq-push"] = new Dictionary<string, string> { ["connect"] = $"tcp://127.0.0.1:{_files.Tcp.Port}" },
    };

    protected override IReadOnlyDictionary<string, string> SinksNotWritten { get; } = new Dictionary<string, string>
    {
        ["zmq-push"] = "sending waits for a zmq-pull peer; covered by the ZeroMQ transport's tests",
    };

    /// <summary>The files the table names: a folder for outputs, an Arrow file and an EVIO file for the file sources to read.</summary>
    public sealed class Files : IDisposable
    {
        public Files()
        {
            Input = Dir.File("in.arrow");
            var yaml = $$$"""
                sources: [{name: gen, operator: synthetic, config: {count: 32, batch-size: 16}}]
                sinks: [{name: file, operator: arrow-file-sink, input: gen, config: {path: "{{{Input}}}"}}]
                """;
            Pipelines.RunAsync(yaml, catalog: Catalogs.Full()).GetAwaiter().GetResult();
            EvioInput = Dir.File("in.evio");
            var evio = $$$"""
                sources: [{name: sim, operator: clas12-sim, config: {count: 8, batch-size: 4}}]
                sinks: [{name: file, operator: evio-file-sink, input: sim, config: {path: "{{{EvioInput}}}"}}]
                """;
            Pipelines.RunAsync(evio, catalog: Catalogs.Full()).GetAwaiter().GetResult();
        }

        public TempDir Dir { get; } = new();

        public string Input { get; }

        /// <summary>An EVIO 6 file of simulated CLAS12 events, for the EVIO file source.</summary>
        public string EvioInput { get; }

        /// <summary>A UDP port the EJFAT sender sends to (nothing listens; datagrams are dropped).</summary>
        public HeldPorts Udp { get; } = Ports.HoldUdpRange(1);

        /// <summary>A TCP port the ZeroMQ operators are configured to connect to (configuring opens no socket).</summary>
        public HeldPorts Tcp { get; } = Ports.HoldTcp();

        public void Dispose()
        {
            Udp.Dispose();
            Tcp.Dispose();
            Dir.Dispose();
        }
    }
}

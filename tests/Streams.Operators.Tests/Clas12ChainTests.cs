using Streams.Engine.Batches;
using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Engine.Spec;
using Streams.Operators.Clas12;
using Streams.Operators.Clas12.Calorimeter;
using Streams.Operators.Clas12.Geometry;
using Streams.Operators.Clas12.Tracking;

namespace Streams.Operators.Tests;

public class Clas12ChainTests
{
    private static OperatorCatalog Catalog(params OperatorDescriptor[] extra) => Catalogs.Full(extra);

    private static Task<PipelineSummary> RunAsync(string yaml, OperatorCatalog catalog) => Pipelines.RunAsync(yaml, catalog: catalog, limit: TimeSpan.FromSeconds(120));

    /// <summary>Corrupts the length word of every 10th event (a truncated or garbled DAQ record).</summary>
    private sealed class Corrupt : IProcessor
    {
        public static OperatorDescriptor Descriptor { get; } = new()
        {
            Name = "corrupt-evio",
            Kind = OperatorKind.Processor,
            Description = "test",
            InputTypes = ["evio/clas12"],
            Factory = () => new Corrupt(),
        };

        public void Configure(OperatorConfig config)
        {
        }

        public void Reset()
        {
        }

        public EventBatch? Process(EventBatch input, ProcessContext context)
        {
            using var b = new EventBatchBuilder(input.Count);
            for (var i = 0; i < input.Count; i++)
            {
                var bytes = input.GetPayload(i).ToArray();
                if (input.Meta[i].EventNumber % 10 == 0) bytes = bytes[..(bytes.Length / 2)]; // truncated
                b.AddFrom(input, i, bytes);
            }

            return b.Build(input.DataType);
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Malformed_evio_fails_those_events_and_the_chain_goes_on()
    {
        var s = await RunAsync("""
            name: chain
            sources: [{name: daq, operator: clas12-sim, config: {count: 500, seed: 3}}]
            stages:
              - {name: corrupt, operator: corrupt-evio, input: daq}
              - {name: decode, operator: clas12-decode, input: corrupt}
              - {name: tracking, operator: clas12-dc-tracking, input: decode, workers: 2}
              - {name: ec, operator: clas12-ec, input: tracking}
            sinks: [{name: validation, operator: clas12-validate, input: ec, config: {output: ''}}]
            """, Catalog(Corrupt.Descriptor));
        Assert.Equal(new EventTotals(500, 450, 50, 0, 0), s.Events);
        Assert.All(s.Errors, e => Assert.Equal("decode", e.Stage));
        Assert.All(s.Errors, e => Assert.StartsWith("malformed EVIO: event", e.Message, StringComparison.Ordinal));
        Assert.Equal(50, s.Errors.Sum(e => e.Count));
        var v = (System.Text.Json.JsonElement)System.Text.Json.JsonSerializer.SerializeToElement(s.Sections!["validation"]);
        Assert.Equal(450, v.GetProperty("events").GetInt64());
        Assert.True(v.GetProperty("efficiency").GetDouble() >= 0.95);
    }

    [Fact]
    public void Calorimeter_clusters_a_hand_made_shower_and_matches_its_track()
    {
        // A track with tx = 0.05, ty = 0.02 and no bending hits the calorimeter at x = 35, y = 14.
        var track = new ReconstructedTrack(2, 1, 5, 0.05, 0.02, 0, 1, 36, 3);
        double x = 0.05 * EcGeometry.Z, y = 0.02 * EcGeometry.Z;
        var strips = new List<(int, int, int, int)>();
        for (var view = 0; view < 3; view++)
        {
            var s = EcGeometry.StripAt(EcGeometry.Coordinate(view, x, y));
            strips.Add((2, view, s - 1, 1000));
            strips.Add((2, view, s, 3000));
            strips.Add((2, view, s + 1, 1000));
        }

        strips.Add((5, 0, 40, 2000)); // a lone peak in another sector: no cluster (no V, W partner)
        var clusterer = new EcClusterer();
        var clusters = new List<EcCluster>();
        clusterer.Cluster(strips, clusters);
        var c = Assert.Single(clusters);
        Assert.Equal(2, c.Sector);
        Assert.Equal(1.5, c.Energy, 6); // 3 views x 5000 ADC / 10000 per GeV
        Assert.InRange(c.X, x - 3, x + 3);
        Assert.InRange(c.Y, y - 3, y + 3);
        Assert.Equal(1.5, clusterer.Match(track, clusters), 6);
        Assert.Equal(0, clusterer.Match(track with { Sector = 3 }, clusters));
    }
}

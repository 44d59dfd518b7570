using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Formats.Hipo;
using Streams.Operators.Clas12.Hipo;

namespace Streams.Operators.Tests;

/// <summary>hipo-file-sink: the CLAS12 banks it writes from the chain, and a file that stays readable after a stop.</summary>
public sealed class HipoFileSinkTests(TempDir dir) : IClassFixture<TempDir>
{
    private sealed record Track(int Sector, int Charge, double P, double Tx, double Ty, double Chi2, int Hits);

    private sealed record Truth(List<Track> Tracks, int DcHits);

    /// <summary>The chain of 300 simulated events into the HIPO sink, and what the calorimeter stage emitted per event.</summary>
    private static async Task<Dictionary<ulong, Truth>> RunChainAsync(string path, string sinkConfig = "")
    {
        var seen = new Dictionary<ulong, Truth>();
        var probe = HipoTestKit.Probe("probe", batch =>
        {
            var r = batch.Records!;
            for (var i = 0; i < batch.Count; i++)
            {
                var p = HipoTestKit.List(r, "trk_p", i);
                var (sector, charge, tx, ty, chi2, hits) = (HipoTestKit.List(r, "trk_sector", i), HipoTestKit.List(r, "trk_charge", i), HipoTestKit.List(r, "trk_tx", i),
                    HipoTestKit.List(r, "trk_ty", i), HipoTestKit.List(r, "trk_chi2", i), HipoTestKit.List(r, "trk_hits", i));
                var tracks = Enumerable.Range(0, p.Length).Select(k => new Track((int)sector[k], (int)charge[k], p[k], tx[k], ty[k], chi2[k], (int)hits[k])).ToList();
                seen[batch.Meta[i].EventNumber] = new Truth(tracks, HipoTestKit.List(r, "dc_tdc", i).Length);
            }
        });
        var s = await Pipelines.RunAsync($$$"""
            name: chain
            sources: [{name: daq, operator: clas12-sim, config: {count: 300, seed: 5, batch-size: 32}}]
            stages:
              - {name: decode, operator: clas12-decode, input: daq}
              - {name: tracking, operator: clas12-dc-tracking, input: decode, workers: 2}
              - {name: ec, operator: clas12-ec, input: tracking}
            sinks:
              - {name: hipo, operator: hipo-file-sink, input: ec, config: {path: "{{{path}}}", events-per-record: 64{{{sinkConfig}}}}}
              - {name: probe, operator: probe, input: ec}
            """, catalog: Catalogs.Full(probe), limit: TimeSpan.FromSeconds(120));
        Assert.Equal(300, s.Stage("hipo").EventsOut);
        return seen;
    }

    [Fact]
    public async Task The_chain_writes_a_REC_Particle_row_per_track_with_the_values_it_computed()
    {
        var path = dir.File("chain.hipo");
        var seen = await RunChainAsync(path);
        using var reader = HipoReader.Open(path);
        Assert.True(reader.HasIndex);
        Assert.Equal(300, reader.EventCount);
        Assert.Equal(5, reader.Records.Count); // 64 events per record
        var runConfig = reader.Schemas["RUN::config"];
        var particle = reader.Schemas["REC::Particle"];
        var track = reader.Schemas["REC::Track"];
        var tracksInFile = 0;
        foreach (var ev in reader.ReadEvents())
        {
            var number = (ulong)ev.GetBank(runConfig).GetInt("event", 0);
            var truth = seen[number];
            Assert.Equal(1, ev.GetBank(Clas12Schemas.RecEvent).Rows);
            Assert.Equal(truth.DcHits, ev.GetBank(Clas12Schemas.DcTdc).Rows);
            var p = ev.GetBank(particle);
            var t = ev.GetBank(track);
            Assert.Equal(truth.Tracks.Count, p.Rows);
            Assert.Equal(truth.Tracks.Count, t.Rows);
            for (var r = 0; r < p.Rows; r++)
            {
                var want = truth.Tracks[r];
                double px = p.GetFloat("px", r), py = p.GetFloat("py", r), pz = p.GetFloat("pz", r);
                Assert.Equal(want.P, Math.Sqrt((px * px) + (py * py) + (pz * pz)), 4);
                // back into the sector frame: the slopes the tracker fitted
                var phi = -(want.Sector - 1) * Math.PI / 3;
                var xs = (Math.Cos(phi) * px) - (Math.Sin(phi) * py);
                var ys = (Math.Sin(phi) * px) + (Math.Cos(phi) * py);
                Assert.Equal(want.Tx, xs / pz, 4);
                Assert.Equal(want.Ty, ys / pz, 4);
                Assert.Equal(want.Charge, p.GetByte("charge", r));
                Assert.Equal(want.Charge < 0 ? 11 : 2212, p.GetInt("pid", r));
                Assert.InRange(p.GetFloat("beta", r), 0.5f, 1f);
                Assert.Equal(r, t.GetShort("pindex", r));
                Assert.Equal(want.Sector, t.GetByte("sector", r));
                Assert.Equal(want.Charge, t.GetByte("q", r));
                Assert.Equal(want.Hits - 3, t.GetShort("NDF", r));
                Assert.Equal(want.Chi2 * (want.Hits - 3), t.GetFloat("chi2", r), 3);
                tracksInFile++;
            }
        }

        Assert.Equal(seen.Values.Sum(v => v.Tracks.Count), tracksInFile);
        Assert.True(tracksInFile > 500, $"{tracksInFile} tracks");
    }

    [Fact]
    public async Task Without_raw_hits_only_the_reconstruction_banks_are_written()
    {
        var path = dir.File("tracks-only.hipo");
        await RunChainAsync(path, ", raw-hits: false");
        using var reader = HipoReader.Open(path);
        var banks = reader.ReadEvents().SelectMany(e => e.GetBanks(reader.Schemas)).Select(b => b.Schema.Name).ToHashSet();
        Assert.Equal(["REC::Event", "REC::Particle", "REC::Track", "RUN::config"], banks.Order(StringComparer.Ordinal));
    }

    private static (HipoFileSink Sink, OperatorConfig Config) Sink(string path, int eventsPerRecord)
    {
        var sink = (HipoFileSink)HipoFileSink.Descriptor.Factory();
        var values = new Dictionary<string, ConfigValue>(StringComparer.Ordinal)
        {
            ["path"] = ConfigValue.Of(path),
            ["events-per-record"] = ConfigValue.Of(eventsPerRecord.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        var config = new OperatorConfig(HipoFileSink.Descriptor.Parameters, values, "hipo");
        sink.Configure(config);
        return (sink, config);
    }

    private static void Write(HipoFileSink sink, EventBatch batch)
    {
        var context = OperatorSamples.Context(batch);
        sink.Write(batch, context);
        context.End();
        Assert.Equal(0, context.FailedCount);
    }

    private static EventBatch RecoSample()
    {
        var samples = new OperatorSamples(Catalogs.Full(), d => new OperatorConfig(d.Parameters, null, "sample"));
        return samples.Make("arrow/clas12-reco");
    }

    [Fact]
    public void An_aborted_run_leaves_a_finished_file_with_every_event_written()
    {
        var path = dir.File("aborted.hipo");
        var (sink, _) = Sink(path, 10);
        using (sink)
        {
            using var batch = RecoSample();
            Write(sink, batch);
            Write(sink, batch);
            var message = sink.Abort();
            Assert.Contains($"readable, {2 * batch.Count} events", message, StringComparison.Ordinal);
            using var reader = HipoReader.Open(path);
            Assert.True(reader.HasIndex);
            Assert.Equal(2 * batch.Count, reader.EventCount);
            var context = OperatorSamples.Context(batch);
            Assert.Throws<InvalidOperationException>(() => sink.Write(batch, context)); // closed after the abort
            context.End();
        }
    }

    [Fact]
    public void A_process_killed_mid_run_leaves_its_whole_records_readable_by_a_scan()
    {
        var path = dir.File("killed.hipo");
        var (sink, _) = Sink(path, 5);
        using (sink)
        {
            using var batch = RecoSample(); // 16 events: three records of 5 reach the file, one event stays in memory
            Write(sink, batch);
            var bytes = File.ReadAllBytes(path); // what a kill -9 now would leave
            using var reader = new HipoReader(bytes);
            Assert.False(reader.HasIndex);
            Assert.Equal(15, reader.EventCount);
            Assert.All(reader.ReadEvents(), e => Assert.Equal(1, e.GetBank(Clas12Schemas.RecEvent).Rows));
        }

        using var finished = HipoReader.Open(path); // Dispose finished the file
        Assert.True(finished.HasIndex);
        Assert.Equal(16, finished.EventCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_run_stopped_or_aborted_in_the_middle_leaves_a_finished_file(bool abort)
    {
        var path = dir.File($"stopped-{abort}.hipo");
        var plan = Pipelines.Plan($$$"""
            sources: [{name: daq, operator: clas12-sim, config: {count: 0, seed: 2, batch-size: 16}}]
            stages:
              - {name: decode, operator: clas12-decode, input: daq}
              - {name: tracking, operator: clas12-dc-tracking, input: decode}
              - {name: ec, operator: clas12-ec, input: tracking}
            sinks: [{name: hipo, operator: hipo-file-sink, input: ec, config: {path: "{{{path}}}", events-per-record: 50}}]
            """, Catalogs.Full());
        using var p = Engine.Runtime.Pipeline.Create(plan);
        var run = p.RunAsync();
        await Eventually.Until(() => File.Exists(path) && new FileInfo(path).Length >= 20_000, "the sink writes its first records");
        if (abort) p.Abort("test abort");
        else p.StopIntake("test stop");
        var s = await run.WaitAsync(TimeSpan.FromSeconds(60));
        using var reader = HipoReader.Open(path);
        Assert.True(reader.HasIndex);
        Assert.True(reader.EventCount > 0);
        if (!abort) Assert.Equal(s.Stage("hipo").EventsIn, reader.EventCount);
        Assert.All(reader.ReadEvents(), e => Assert.Equal(1, e.GetBank(Clas12Schemas.RecEvent).Rows));
    }

    [Fact]
    public void The_output_is_checked_before_the_run()
    {
        var blocker = dir.Write("a-file", "x");
        var e = Assert.Throws<ConfigException>(() => Sink(Path.Combine(blocker, "out.hipo"), 10));
        Assert.True(e.Output);
        Assert.Contains("is a file", e.Message, StringComparison.Ordinal);
    }
}

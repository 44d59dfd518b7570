using Streams.Operators.Clas12.Evio;
using Streams.Operators.Clas12.Geometry;
using Streams.Operators.Clas12.Simulation;
using Streams.Operators.Clas12.Tracking;
using Xunit.Abstractions;

namespace Streams.Operators.Tests;

public class TrackingTests(ITestOutputHelper output)
{
    internal static List<TrackingHit> Hits(EvioEvent ev) =>
        [.. ev.DcHits.Select(h => TrackingHit.From(h))];

    internal static bool Matches(ReconstructedTrack r, TruthParticle t) =>
        Clas12.Validation.ValidationSink.Matches(r.Sector, r.Charge, r.P, r.Tx, r.Ty, t.Sector, t.Charge, t.P, t.Tx, t.Ty);

    [Fact]
    public void A_perfect_track_is_fitted_to_its_true_parameters()
    {
        var sim = new Clas12Simulator(new SimulationOptions { TracksPerEvent = 1, NoiseRate = 0, HitEfficiency = 1, Resolution = 0.0001, Seed = 4 });
        var ev = new EvioEvent();
        var tracker = new DcTracker(resolution: 0.003);
        var tracks = new List<ReconstructedTrack>();
        for (var n = 0; n < 20; n++)
        {
            sim.Generate(ev);
            tracker.Reconstruct(Hits(ev), tracks);
            var t = ev.Truth[0];
            if (!t.InAcceptance) continue;
            var r = Assert.Single(tracks);
            Assert.Equal(t.Charge, r.Charge);
            Assert.Equal(t.Sector, r.Sector);
            Assert.Equal(t.P, r.P, t.P * 0.01);
            Assert.Equal(t.Tx, r.Tx, 0.001);
            Assert.Equal(t.Ty, r.Ty, 0.002);
            Assert.Equal(36, r.Hits);
            Assert.Equal(3, r.Regions);
        }
    }

    [Fact]
    public void A_track_missing_one_region_is_recovered()
    {
        var sim = new Clas12Simulator(new SimulationOptions { TracksPerEvent = 1, NoiseRate = 0, HitEfficiency = 1, Seed = 8 });
        var ev = new EvioEvent();
        var tracker = new DcTracker();
        var tracks = new List<ReconstructedTrack>();
        do sim.Generate(ev); while (!ev.Truth[0].InAcceptance);
        var hits = Hits(ev).Where(h => DcGeometry.RegionOf(h.Layer) != 1).ToList(); // region 2 dead
        tracker.Reconstruct(hits, tracks);
        var r = Assert.Single(tracks);
        Assert.Equal(2, r.Regions);
        Assert.True(Matches(r, ev.Truth[0]), r.ToString());
    }

    [Fact]
    public void Noise_alone_makes_no_tracks()
    {
        var sim = new Clas12Simulator(new SimulationOptions { TracksPerEvent = 0, NoiseRate = 0.02, Seed = 2 });
        var ev = new EvioEvent();
        var tracker = new DcTracker();
        var tracks = new List<ReconstructedTrack>();
        var fakes = 0;
        for (var n = 0; n < 200; n++)
        {
            sim.Generate(ev);
            tracker.Reconstruct(Hits(ev), tracks);
            fakes += tracks.Count;
        }

        Assert.True(fakes <= 2, $"{fakes} tracks from noise in 200 events");
    }

    [Fact]
    public void Seeded_run_reaches_the_efficiency_fake_rate_and_resolution_targets()
    {
        var sim = new Clas12Simulator(new SimulationOptions { TracksPerEvent = 2, NoiseRate = 0.02, Seed = 12345 });
        var ev = new EvioEvent();
        var tracker = new DcTracker();
        var tracks = new List<ReconstructedTrack>();
        int accepted = 0, found = 0, reco = 0, fake = 0;
        var dpp = new List<double>();
        for (var n = 0; n < 2000; n++)
        {
            sim.Generate(ev);
            tracker.Reconstruct(Hits(ev), tracks);
            reco += tracks.Count;
            foreach (var t in ev.Truth.Where(t => t.InAcceptance))
            {
                accepted++;
                var m = tracks.FirstOrDefault(r => Matches(r, t));
                if (m is null) continue;
                found++;
                dpp.Add((m.P - t.P) / t.P);
            }

            fake += tracks.Count(r => !ev.Truth.Any(t => Matches(r, t)));
        }

        var efficiency = found / (double)accepted;
        var fakeRate = fake / (double)Math.Max(reco, 1);
        var mean = dpp.Average();
        var sigma = Math.Sqrt(dpp.Sum(x => (x - mean) * (x - mean)) / dpp.Count);
        output.WriteLine($"accepted {accepted}, efficiency {efficiency:0.0000}, fake rate {fakeRate:0.0000}, sigma(dp/p) {sigma:0.00000}");
        Assert.True(efficiency >= 0.95, $"efficiency {efficiency}");
        Assert.True(fakeRate < 0.02, $"fake rate {fakeRate}");
        Assert.True(sigma < 0.02, $"momentum resolution {sigma}");
    }
}

using System.Buffers.Binary;
using Streams.Operators.Clas12.Evio;
using Streams.Operators.Clas12.Geometry;
using Streams.Operators.Clas12.Simulation;

namespace Streams.Operators.Tests;

public class GeometryTests
{
    [Fact]
    public void Every_wire_maps_to_its_position_and_back()
    {
        for (var layer = 0; layer < DcGeometry.Layers; layer++)
        {
            for (var wire = 1; wire <= DcGeometry.Wires; wire++)
            {
                var u = DcGeometry.WireU(layer, wire);
                Assert.Equal(wire, DcGeometry.WireAt(layer, u));
                Assert.Equal(wire, DcGeometry.WireAt(layer, u + (0.49 * DcGeometry.Cell(layer))));
                Assert.Equal(wire, DcGeometry.WireAt(layer, u - (0.49 * DcGeometry.Cell(layer))));
            }

            Assert.Equal(0, DcGeometry.WireAt(layer, DcGeometry.WireU(layer, DcGeometry.Wires) + DcGeometry.Cell(layer)));
        }
    }

    [Fact]
    public void Layers_are_ordered_along_z_and_stereo_alternates_starting_negative()
    {
        for (var l = 1; l < DcGeometry.Layers; l++) Assert.True(DcGeometry.Z(l) > DcGeometry.Z(l - 1));
        Assert.Equal(-6.0, DcGeometry.StereoAngle(0) * 180 / Math.PI, 9);
        Assert.Equal(6.0, DcGeometry.StereoAngle(1) * 180 / Math.PI, 9);
        Assert.Equal(-6.0, DcGeometry.StereoAngle(4) * 180 / Math.PI, 9);
        // Two stereo views of one point recover it.
        double x = 12.3, y = -4.5;
        var u1 = DcGeometry.MeasuredU(0, x, y);
        var u2 = DcGeometry.MeasuredU(6, x, y);
        var a = DcGeometry.StereoAngle(1);
        Assert.Equal(x, (u1 + u2) / (2 * Math.Cos(a)), 9);
        Assert.Equal(y, (u2 - u1) / (2 * Math.Sin(a)), 9);
    }

    [Fact]
    public void Field_bends_opposite_charges_opposite_ways_only_inside_the_field()
    {
        Assert.Equal(0, TrackModel.F(TrackModel.Z1));
        var kPos = TrackModel.Kappa(1, 2.0);
        var kNeg = TrackModel.Kappa(-1, 2.0);
        Assert.Equal(TrackModel.X(0.1, kPos, 200), TrackModel.X(0.1, kNeg, 200));
        Assert.True(TrackModel.X(0, kPos, 500) > 0);
        Assert.True(TrackModel.X(0, kNeg, 500) < 0);
        Assert.Equal(2.0, TrackModel.Momentum(kNeg), 12);
    }

    [Fact]
    public void Calorimeter_strips_round_trip()
    {
        for (var s = 1; s <= EcGeometry.Strips; s++) Assert.Equal(s, EcGeometry.StripAt(EcGeometry.StripCentre(s)));
        Assert.Equal(0, EcGeometry.StripAt(EcGeometry.StripCentre(EcGeometry.Strips) + EcGeometry.StripWidth));
    }
}

public class Evio6Tests
{
    private static EvioEvent Sample()
    {
        var ev = new EvioEvent();
        ev.DcHits.Add(new DcHit(1, 1, 1, 0));
        ev.DcHits.Add(new DcHit(6, 36, 112, 65535));
        ev.EcStrips.Add(new EcStrip(3, 2, 100, 0xFFFFF, 123456));
        ev.Truth.Add(new TruthParticle(-1, 2.5f, 0.0625f, -0.03125f, 4, true));
        return ev;
    }

    [Fact]
    public void Events_round_trip()
    {
        var ev = Sample();
        var bytes = new byte[Evio6.SizeOf(ev)];
        Assert.Equal(bytes.Length, Evio6.Write(ev, bytes));
        var back = new EvioEvent();
        Evio6.Read(bytes, back);
        Assert.Equal(ev.DcHits, back.DcHits);
        Assert.Equal(ev.EcStrips, back.EcStrips);
        Assert.Equal(ev.Truth, back.Truth);
    }

    [Fact]
    public void The_layout_follows_evio_6()
    {
        var bytes = new byte[Evio6.SizeOf(Sample())];
        Evio6.Write(Sample(), bytes);
        Assert.Equal((bytes.Length / 4) - 1, BinaryPrimitives.ReadInt32BigEndian(bytes));
        Assert.Equal(0x0001_1000, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4)));   // tag 1, type 0x10, num 0
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)));             // DC bank: header + 2 hits
        Assert.Equal(0x0D01_0100, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12)));  // tag 0x0D01, type uint32
        Assert.Equal(unchecked((int)0xB1EF_FFFF), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20))); // 5<<29|35<<23|111<<16|65535
    }

    [Theory]
    [InlineData("short", "at least 2")]
    [InlineData("length", "length word says")]
    [InlineData("type", "bank of banks")]
    [InlineData("child", "beyond the end")]
    [InlineData("huge", "beyond the end")]
    [InlineData("childtype", "expected 0x01")]
    [InlineData("range", "out of range")]
    public void Malformed_events_fail_with_a_clear_message(string damage, string message)
    {
        var bytes = new byte[Evio6.SizeOf(Sample())];
        Evio6.Write(Sample(), bytes);
        switch (damage)
        {
            case "short": bytes = bytes[..4]; break;
            case "length": BinaryPrimitives.WriteInt32BigEndian(bytes, 999); break;
            case "type": bytes[6] = 0x01; break;
            case "child": BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 500); break;
            case "huge": BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), int.MaxValue); break; // (len + 1) * 4 overflows an int
            case "childtype": bytes[14] = 0x02; break;
            case "range": BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), (5 << 29) | (40 << 23)); break;
        }

        var e = Assert.Throws<EvioException>(() => Evio6.Read(bytes, new EvioEvent()));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}

public class SimulatorTests
{
    [Fact]
    public void The_same_seed_gives_the_same_events()
    {
        var a = new Clas12Simulator(new SimulationOptions { Seed = 9 });
        var b = new Clas12Simulator(new SimulationOptions { Seed = 9 });
        var ea = new EvioEvent();
        var eb = new EvioEvent();
        for (var i = 0; i < 20; i++)
        {
            a.Generate(ea);
            b.Generate(eb);
            Assert.Equal(ea.DcHits, eb.DcHits);
            Assert.Equal(ea.Truth, eb.Truth);
        }
    }

    [Fact]
    public void A_noiseless_fully_efficient_track_hits_every_layer_at_the_right_wire()
    {
        var sim = new Clas12Simulator(new SimulationOptions { TracksPerEvent = 1, NoiseRate = 0, HitEfficiency = 1, Resolution = 0, TxMax = 0.05, TyMax = 0.05, Seed = 3 });
        var ev = new EvioEvent();
        for (var n = 0; n < 50; n++)
        {
            sim.Generate(ev);
            var t = Assert.Single(ev.Truth);
            Assert.True(t.InAcceptance);
            Assert.Equal(36, ev.DcHits.Count);
            var kappa = TrackModel.Kappa(t.Charge, t.P);
            foreach (var h in ev.DcHits)
            {
                var layer = h.Layer - 1;
                var z = DcGeometry.Z(layer);
                var u = DcGeometry.MeasuredU(layer, TrackModel.X(t.Tx, kappa, z), t.Ty * z);
                Assert.Equal(DcGeometry.WireAt(layer, u), h.Wire);
                Assert.InRange(Math.Abs(Math.Abs(u - DcGeometry.WireU(layer, h.Wire)) - (h.Tdc * Clas12Simulator.DriftVelocity)), 0, (Clas12Simulator.DriftVelocity / 2) + 1e-9); // TDC in whole ns
            }

            Assert.Equal(9, ev.EcStrips.Count(s => s.Sector == t.Sector) - ev.EcStrips.Count(s => s.Strip is 1 or 100));
        }
    }

    [Fact]
    public void Noise_occupancy_matches_the_configured_rate()
    {
        var sim = new Clas12Simulator(new SimulationOptions { TracksPerEvent = 0, NoiseRate = 0.02, Seed = 5 });
        var ev = new EvioEvent();
        long hits = 0;
        for (var i = 0; i < 200; i++)
        {
            sim.Generate(ev);
            hits += ev.DcHits.Count;
        }

        var occupancy = hits / (200.0 * 6 * 36 * 112);
        Assert.InRange(occupancy, 0.018, 0.022);
    }
}

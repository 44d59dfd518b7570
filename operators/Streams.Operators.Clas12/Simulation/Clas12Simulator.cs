using MathNet.Numerics.Distributions;
using Streams.Operators.Clas12.Evio;
using Streams.Operators.Clas12.Geometry;

namespace Streams.Operators.Clas12.Simulation;

/// <summary>What the simulator generates.</summary>
public sealed record SimulationOptions
{
    public int TracksPerEvent { get; init; } = 2;
    public double PMin { get; init; } = 1.0;
    public double PMax { get; init; } = 6.0;

    /// <summary>-1, +1, or 0 for either at random.</summary>
    public int Charge { get; init; }

    public double TxMax { get; init; } = 0.12;
    public double TyMax { get; init; } = 0.08;

    /// <summary>Probability that a layer crossed by a track records a hit.</summary>
    public double HitEfficiency { get; init; } = 0.97;

    /// <summary>Probability that any wire fires at random (occupancy from noise), in every sector.</summary>
    public double NoiseRate { get; init; } = 0.02;

    /// <summary>Gaussian position resolution of a hit (cm).</summary>
    public double Resolution { get; init; } = 0.03;

    public long Seed { get; init; } = 1;
}

/// <summary>
/// Generates CLAS12-like raw events: charged tracks through the drift chambers in the simplified toroidal field
/// (<see cref="TrackModel"/>), hits with efficiency, Gaussian resolution and drift times, random noise hits, and
/// calorimeter strips; the generated particles go along as truth. Reproducible from the seed.
/// </summary>
public sealed class Clas12Simulator(SimulationOptions options)
{
    /// <summary>Drift velocity (cm/ns): TDC = drift distance / velocity.</summary>
    public const double DriftVelocity = 0.005;

    private readonly Random _random = new((int)(options.Seed ^ (options.Seed >> 32)));

    public SimulationOptions Options { get; } = options;

    public void Generate(EvioEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        ev.Clear();
        var o = Options;
        for (var t = 0; t < o.TracksPerEvent; t++)
        {
            var charge = o.Charge != 0 ? Math.Sign(o.Charge) : (_random.Next(2) == 0 ? -1 : 1);
            var p = o.PMin + (_random.NextDouble() * (o.PMax - o.PMin));
            var tx = (_random.NextDouble() * 2 - 1) * o.TxMax;
            var ty = (_random.NextDouble() * 2 - 1) * o.TyMax;
            var sector = _random.Next(1, 7);
            var accepted = Track(ev, sector, charge, p, tx, ty);
            ev.Truth.Add(new TruthParticle(charge, p, tx, ty, sector, accepted));
        }

        if (o.NoiseRate > 0) AddNoise(ev);
    }

    private bool Track(EvioEvent ev, int sector, int charge, double p, double tx, double ty)
    {
        var kappa = TrackModel.Kappa(charge, p);
        var accepted = true;
        for (var layer = 0; layer < DcGeometry.Layers; layer++)
        {
            var z = DcGeometry.Z(layer);
            var u = DcGeometry.MeasuredU(layer, TrackModel.X(tx, kappa, z), ty * z) + Normal.Sample(_random, 0, Options.Resolution);
            var wire = DcGeometry.WireAt(layer, u);
            if (wire == 0)
            {
                accepted = false;
                continue;
            }

            if (_random.NextDouble() >= Options.HitEfficiency) continue;
            var drift = Math.Abs(u - DcGeometry.WireU(layer, wire));
            ev.DcHits.Add(new DcHit((byte)sector, (byte)(layer + 1), (byte)wire, (ushort)Math.Round(drift / DriftVelocity)));
        }

        // Calorimeter: a shower of E = 0.1 + 0.2 p GeV shared by the three views, 60% in the central strip.
        var xe = TrackModel.X(tx, kappa, EcGeometry.Z);
        var ye = ty * EcGeometry.Z;
        var energy = 0.1 + (0.2 * p);
        for (var view = 0; view < EcGeometry.Views; view++)
        {
            var strip = EcGeometry.StripAt(EcGeometry.Coordinate(view, xe, ye));
            if (strip == 0)
            {
                accepted = false;
                continue;
            }

            for (var d = -1; d <= 1; d++)
            {
                var s = strip + d;
                if (s is < 1 or > EcGeometry.Strips) continue;
                var share = d == 0 ? 0.6 : 0.2;
                var adc = (int)Math.Round(energy / 3 * share * 10_000 * (1 + Normal.Sample(_random, 0, 0.05)));
                ev.EcStrips.Add(new EcStrip((byte)sector, (byte)view, (byte)s, Math.Clamp(adc, 0, 0xFFFFF), 20 + _random.Next(5)));
            }
        }

        return accepted;
    }

    private void AddNoise(EvioEvent ev)
    {
        // Geometric sampling of the next noisy wire: cost proportional to the noise, not to the channel count. A
        // geometric draw counts the wires up to and including the next noisy one (the first is one fewer wires in).
        var channels = DcGeometry.Sectors * DcGeometry.Layers * DcGeometry.Wires;
        for (long c = Geometric.Sample(_random, Options.NoiseRate) - 1; c < channels; c += Geometric.Sample(_random, Options.NoiseRate))
        {
            var sector = (int)(c / (DcGeometry.Layers * DcGeometry.Wires)) + 1;
            var layer = (int)(c / DcGeometry.Wires % DcGeometry.Layers) + 1;
            var wire = (int)(c % DcGeometry.Wires) + 1;
            ev.DcHits.Add(new DcHit((byte)sector, (byte)layer, (byte)wire, (ushort)_random.Next(0, 200)));
        }
    }
}

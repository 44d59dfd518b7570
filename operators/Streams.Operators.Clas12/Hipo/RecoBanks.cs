using Apache.Arrow;
using Streams.Formats.Hipo;
using Streams.Operators.Clas12.Calorimeter;
using Streams.Operators.Clas12.Decoding;
using Streams.Operators.Clas12.Tracking;
using HipoSchema = Streams.Formats.Hipo.Schema;

namespace Streams.Operators.Clas12.Hipo;

/// <summary>
/// The CLAS12 banks of one event of the reconstruction chain (<c>arrow/clas12-hits</c>, <c>-tracks</c>, <c>-reco</c>).
/// Tracks are in the sector frame (slopes tx = dx/dz, ty = dy/dz from the target at the origin); the banks are in the
/// lab frame, the sector frame turned by (sector - 1) x 60 degrees about the beam, as in CLAS12.
/// <list type="bullet">
/// <item>RUN::config (one row): run, event = the Streams event number (its low 32 bits), unixtime.</item>
/// <item>REC::Event (one row): procTime = the Unix time the event was written; the rest 0 (no beam information here).</item>
/// <item>REC::Particle (a row per track): pid 11 for negative, 2212 for positive tracks; px, py, pz; vertex 0; charge;
/// beta = p / E for that mass; chi2pid 0; status 2000 (forward detector) + 10 when the calorimeter matched the track.</item>
/// <item>REC::Track (a row per track): index, pindex = the particle row, detector 6 (DC), sector, status 0, q,
/// chi2 = chi2/ndf x NDF, NDF = hits - 3 (tx, ty, kappa), hbindex = index.</item>
/// <item>MC::Particle (a row per simulated particle): pid from charge, px, py, pz, vertex 0.</item>
/// <item>DC::tdc (a row per hit): sector, layer 1-36, component = wire 1-112, order 2 (TDCL), TDC.</item>
/// <item>ECAL::adc (a row per strip): sector, layer = view + 1 (PCAL U, V, W), component = strip, order 0, ADC, time.</item>
/// </list>
/// </summary>
internal static class RecoBanks
{
    /// <summary>RUN::config 10000/11 (coatjava header.json).</summary>
    public static HipoSchema RunConfig { get; } = HipoSchema.Parse(
        "{RUN::config/10000/11}{run/I,event/I,unixtime/I,trigger/L,timestamp/L,type/B,mode/B,torus/F,solenoid/F}");

    /// <summary>MC::Particle 40/2 (coatjava mc.json).</summary>
    public static HipoSchema McParticle { get; } = HipoSchema.Parse("{MC::Particle/40/2}{pid/I,px/F,py/F,pz/F,vx/F,vy/F,vz/F,vt/F}");

    /// <summary>The dictionary of the files the sink writes from the chain.</summary>
    public static SchemaDictionary Dictionary() =>
        new([RunConfig, Clas12Schemas.RecEvent, Clas12Schemas.RecParticle, Clas12Schemas.RecTrack, McParticle, Clas12Schemas.DcTdc, Clas12Schemas.EcalAdc]);

    public static bool IsChainType(string dataType) => dataType is HitColumns.DataType or TrackColumns.DataType or EcOperator.DataType;

    /// <summary>Lab-frame momentum of a track of momentum <paramref name="p"/> and sector-frame slopes.</summary>
    public static (float Px, float Py, float Pz) Momentum(double p, double tx, double ty, int sector)
    {
        var pz = p / Math.Sqrt(1 + (tx * tx) + (ty * ty));
        double xs = tx * pz, ys = ty * pz;
        var phi = (sector - 1) * Math.PI / 3;
        var (sin, cos) = Math.SinCos(phi);
        return ((float)((cos * xs) - (sin * ys)), (float)((sin * xs) + (cos * ys)), (float)pz);
    }

    /// <summary>The PDG id guessed from the charge: electron, proton, photon.</summary>
    public static int Pid(int charge) => charge < 0 ? 11 : charge > 0 ? 2212 : 22;

    private static double Mass(int pid) => pid switch
    {
        11 => 0.000511,
        2212 => 0.938272,
        _ => 0,
    };

    /// <summary>The banks of event row <paramref name="row"/> of a chain batch, added to <paramref name="ev"/> (MC::Particle, DC::tdc and ECAL::adc only with <paramref name="rawHits"/>).</summary>
    public static void Add(RecordBatch records, int row, ulong eventNumber, int run, int unixTime, bool rawHits, HipoEventBuilder ev)
    {
        ev.AddBank(new BankBuilder(RunConfig, 1).PutInt("run", 0, run).PutInt("event", 0, unchecked((int)eventNumber)).PutInt("unixtime", 0, unixTime));
        ev.AddBank(new BankBuilder(Clas12Schemas.RecEvent, 1).PutFloat("procTime", 0, unixTime));
        if (Has(records, TrackColumns.P)) AddTracks(records, row, ev);
        if (!rawHits) return;
        if (Has(records, HitColumns.TruthP)) AddTruth(records, row, ev);
        if (Has(records, HitColumns.DcTdc)) AddDc(records, row, ev);
        if (Has(records, HitColumns.EcAdc)) AddEc(records, row, ev);
    }

    private static void AddTracks(RecordBatch records, int row, HipoEventBuilder ev)
    {
        var (start, end) = ListColumns.Range(ListColumns.Column(records, TrackColumns.P), row);
        var n = end - start;
        if (n == 0) return;
        var sector = Values(records, TrackColumns.Sector);
        var charge = Values(records, TrackColumns.Charge);
        var p = Values(records, TrackColumns.P);
        var tx = Values(records, TrackColumns.Tx);
        var ty = Values(records, TrackColumns.Ty);
        var chi2 = Values(records, TrackColumns.Chi2);
        var hits = Values(records, TrackColumns.Hits);
        var ecEnergy = Has(records, EcOperator.TrackEnergy) ? Values(records, EcOperator.TrackEnergy) : null;
        var particles = new BankBuilder(Clas12Schemas.RecParticle, n);
        var tracks = new BankBuilder(Clas12Schemas.RecTrack, n);
        for (var r = 0; r < n; r++)
        {
            var k = start + r;
            var s = (int)Get(sector, k);
            var q = (int)Get(charge, k);
            var mom = Get(p, k);
            var (px, py, pz) = Momentum(mom, Get(tx, k), Get(ty, k), s);
            var pid = Pid(q);
            var mass = Mass(pid);
            var matched = ecEnergy is not null && Get(ecEnergy, k) > 0;
            particles.PutInt(0, r, pid).PutFloat(1, r, px).PutFloat(2, r, py).PutFloat(3, r, pz)
                .PutByte(8, r, (sbyte)q).PutFloat(9, r, (float)(mom / Math.Sqrt((mom * mom) + (mass * mass))))
                .PutShort(11, r, (short)(2000 + (matched ? 10 : 0)));
            var ndf = Math.Max(0, (int)Get(hits, k) - 3);
            tracks.PutShort(0, r, (short)r).PutShort(1, r, (short)r).PutByte(2, r, 6).PutByte(3, r, (sbyte)s)
                .PutByte(5, r, (sbyte)q).PutFloat(6, r, (float)(Get(chi2, k) * ndf)).PutShort(7, r, (short)ndf).PutShort(8, r, (short)r);
        }

        ev.AddBank(particles).AddBank(tracks);
    }

    private static void AddTruth(RecordBatch records, int row, HipoEventBuilder ev)
    {
        var (start, end) = ListColumns.Range(ListColumns.Column(records, HitColumns.TruthP), row);
        if (end == start) return;
        var sector = Values(records, HitColumns.TruthSector);
        var charge = Values(records, HitColumns.TruthCharge);
        var p = Values(records, HitColumns.TruthP);
        var tx = Values(records, HitColumns.TruthTx);
        var ty = Values(records, HitColumns.TruthTy);
        var mc = new BankBuilder(McParticle, end - start);
        for (var k = start; k < end; k++)
        {
            var (px, py, pz) = Momentum(Get(p, k), Get(tx, k), Get(ty, k), (int)Get(sector, k));
            mc.PutInt(0, k - start, Pid((int)Get(charge, k))).PutFloat(1, k - start, px).PutFloat(2, k - start, py).PutFloat(3, k - start, pz);
        }

        ev.AddBank(mc);
    }

    private static void AddDc(RecordBatch records, int row, HipoEventBuilder ev)
    {
        var (start, end) = ListColumns.Range(ListColumns.Column(records, HitColumns.DcTdc), row);
        if (end == start) return;
        var sector = Values(records, HitColumns.DcSector);
        var layer = Values(records, HitColumns.DcLayer);
        var wire = Values(records, HitColumns.DcWire);
        var tdc = Values(records, HitColumns.DcTdc);
        var bank = new BankBuilder(Clas12Schemas.DcTdc, end - start);
        for (var k = start; k < end; k++)
        {
            var r = k - start;
            bank.PutByte(0, r, (sbyte)Get(sector, k)).PutByte(1, r, (sbyte)Get(layer, k)).PutShort(2, r, (short)Get(wire, k))
                .PutByte(3, r, 2).PutInt(4, r, (int)Get(tdc, k));
        }

        ev.AddBank(bank);
    }

    private static void AddEc(RecordBatch records, int row, HipoEventBuilder ev)
    {
        var (start, end) = ListColumns.Range(ListColumns.Column(records, HitColumns.EcAdc), row);
        if (end == start) return;
        var sector = Values(records, HitColumns.EcSector);
        var view = Values(records, HitColumns.EcView);
        var strip = Values(records, HitColumns.EcStrip);
        var adc = Values(records, HitColumns.EcAdc);
        var tdc = Values(records, HitColumns.EcTdc);
        var bank = new BankBuilder(Clas12Schemas.EcalAdc, end - start);
        for (var k = start; k < end; k++)
        {
            var r = k - start;
            bank.PutByte(0, r, (sbyte)Get(sector, k)).PutByte(1, r, (sbyte)(Get(view, k) + 1)).PutShort(2, r, (short)Get(strip, k))
                .PutInt(4, r, (int)Get(adc, k)).PutFloat(5, r, (float)Get(tdc, k));
        }

        ev.AddBank(bank);
    }

    private static bool Has(RecordBatch records, string name) => records.Schema.GetFieldIndex(name) >= 0;

    private static IArrowArray Values(RecordBatch records, string name) => ListColumns.Column(records, name).Values;

    private static double Get(IArrowArray values, int k) => values switch
    {
        UInt8Array a => a.GetValue(k) ?? 0,
        Int8Array a => a.GetValue(k) ?? 0,
        UInt16Array a => a.GetValue(k) ?? 0,
        Int16Array a => a.GetValue(k) ?? 0,
        Int32Array a => a.GetValue(k) ?? 0,
        FloatArray a => a.GetValue(k) ?? 0,
        DoubleArray a => a.GetValue(k) ?? 0,
        _ => throw new InvalidOperationException($"unexpected column type {values.Data.DataType.Name}"),
    };
}

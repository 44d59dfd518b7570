namespace Streams.Formats.Hipo;

/// <summary>
/// CLAS12 bank definitions from coatjava <c>etc/bankdefs/hipo4</c> (data.json, event.json), the
/// ones the fixture hipo4.hipo carries.
/// </summary>
public static class Clas12Schemas
{
    /// <summary>REC::Particle 300/31, 43 bytes a row.</summary>
    public static Schema RecParticle { get; } = Schema.Parse(
        "{REC::Particle/300/31}{pid/I,px/F,py/F,pz/F,vx/F,vy/F,vz/F,vt/F,charge/B,beta/F,chi2pid/F,status/S}");

    /// <summary>REC::Track 300/36, 17 bytes a row (RECHB::Track 300/16 is the same without hbindex).</summary>
    public static Schema RecTrack { get; } = Schema.Parse(
        "{REC::Track/300/36}{index/S,pindex/S,detector/B,sector/B,status/S,q/B,chi2/F,NDF/S,hbindex/S}");

    /// <summary>REC::Event 300/30, 42 bytes a row.</summary>
    public static Schema RecEvent { get; } = Schema.Parse(
        "{REC::Event/300/30}{category/L,topology/L,beamCharge/F,liveTime/D,startTime/F,RFTime/F,helicity/B,helicityRaw/B,procTime/F}");

    /// <summary>DC::tdc 20600/12, 9 bytes a row (order 2 = TDCL, 3 = TDCR).</summary>
    public static Schema DcTdc { get; } = Schema.Parse(
        "{DC::tdc/20600/12}{sector/B,layer/B,component/S,order/B,TDC/I}");

    /// <summary>ECAL::adc 20700/11, 15 bytes a row (order 0 = ADCL, 1 = ADCR).</summary>
    public static Schema EcalAdc { get; } = Schema.Parse(
        "{ECAL::adc/20700/11}{sector/B,layer/B,component/S,order/B,ADC/I,time/F,ped/S}");

    /// <summary>All of the above in one dictionary.</summary>
    public static SchemaDictionary All() => new([RecParticle, RecTrack, RecEvent, DcTdc, EcalAdc]);
}

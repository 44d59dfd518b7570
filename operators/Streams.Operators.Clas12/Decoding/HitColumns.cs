namespace Streams.Operators.Clas12.Decoding;

/// <summary>Column names of the decoded CLAS12 batches (<c>arrow/clas12-hits</c>), one row per event.</summary>
internal static class HitColumns
{
    public const string DataType = "arrow/clas12-hits";
    public const string DcSector = "dc_sector";
    public const string DcLayer = "dc_layer";
    public const string DcWire = "dc_wire";
    public const string DcTdc = "dc_tdc";
    public const string EcSector = "ec_sector";
    public const string EcView = "ec_view";
    public const string EcStrip = "ec_strip";
    public const string EcAdc = "ec_adc";
    public const string EcTdc = "ec_tdc";
    public const string TruthCharge = "truth_charge";
    public const string TruthP = "truth_p";
    public const string TruthTx = "truth_tx";
    public const string TruthTy = "truth_ty";
    public const string TruthSector = "truth_sector";
    public const string TruthAccepted = "truth_accepted";
}

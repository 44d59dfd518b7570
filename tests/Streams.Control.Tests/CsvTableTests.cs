using Streams.Control.Simulation;
using Streams.Control.Twin;
using Streams.Reporting;

namespace Streams.Control.Tests;

/// <summary>
/// The one header rule of the CSV tables the controller reads (arrival traces, twin traces, calibration tables): a
/// header row is required, columns are found by name in any order and case, extra columns are ignored, and bad input
/// is one line naming file:line and the column.
/// </summary>
public sealed class CsvTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streams-csv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string Error(Action read)
    {
        var message = Assert.Throws<FormatException>(read).Message;
        Assert.DoesNotContain('\n', message);
        return message;
    }

    [Fact]
    public void An_arrival_trace_reads_its_columns_by_name_in_any_order_with_extra_columns_and_comments()
    {
        var path = Write("arrivals.csv", "# from the accelerator log", "Rate , note, SECONDS", "100,start,0", "", "500, \"ramp, up\" ,60", "0,end,120");
        var t = ArrivalTrace.FromCsv(path);
        Assert.Equal(120, t.DurationSeconds);
        Assert.Equal(100, t.Rate(59));
        Assert.Equal(500, t.Rate(60));
        Assert.Equal(0, t.Rate(120));
    }

    [Fact]
    public void Without_a_header_the_missing_column_and_line_are_named()
    {
        var message = Error(() => ArrivalTrace.FromCsv(Write("bare.csv", "# comment", "0,100", "60,500")));
        Assert.Contains("bare.csv:2: no column 'seconds'", message, StringComparison.Ordinal);
        Assert.Contains("header row is required", message, StringComparison.Ordinal);
        Assert.Contains(":1: no column 'rate'", Error(() => ArrivalTrace.FromCsv(Write("other.csv", "seconds,events", "0,1", "1,2"))), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_row_names_its_line_and_column()
    {
        Assert.Contains("neg.csv:3: column 'rate': negative rate", Error(() => ArrivalTrace.FromCsv(Write("neg.csv", "seconds,rate", "0,1", "1,-2"))), StringComparison.Ordinal);
        Assert.Contains("back.csv:4: column 'seconds': time 5 does not increase", Error(() => ArrivalTrace.FromCsv(Write("back.csv", "seconds,rate", "0,1", "10,2", "5,3"))), StringComparison.Ordinal);
        Assert.Contains("empty.csv:3: column 'rate': empty", Error(() => ArrivalTrace.FromCsv(Write("empty.csv", "seconds,rate", "0,1", "10,"))), StringComparison.Ordinal);
        Assert.StartsWith(Path.Combine(_dir, "quote.csv") + ":3:", Error(() => ArrivalTrace.FromCsv(Write("quote.csv", "seconds,rate", "0,1", "1,\"2", "3,4"))), StringComparison.Ordinal);
    }

    [Fact]
    public void A_twin_trace_reads_a_recording_without_the_optional_columns_and_in_another_order()
    {
        var steps = TwinTrace.Read(Write("rec.csv", "workers,t,queue,host", "16,1,5,a", "16,2,7.5,b"));
        Assert.Equal([new TraceStep(1, 5, 16, null, null), new TraceStep(2, 7.5, 16, null, null)], steps);
        // What the live controller records: arrivals, an empty true load.
        var live = TwinTrace.Read(Write("live.csv", TwinTrace.Header, "1,0,16,100,", "2,3,16,120,"));
        Assert.Equal(120, live[1].Arrivals);
        Assert.Null(live[1].TrueLoad);
        Assert.Contains("w.csv:3: column 'workers': '16.5' is not an integer", Error(() => TwinTrace.Read(Write("w.csv", TwinTrace.Header, "1,0,16,,", "2,0,16.5,,"))), StringComparison.Ordinal);
    }

    [Fact]
    public void A_calibration_table_reads_by_name_and_names_a_missing_column()
    {
        var rows = Calibration.Read(Write("cal.csv", "workers,mmc_lq,lambda,mu,observed_log_sd,observed_lq,comment", "2,0.08,40,100,0.3,0.1,first"));
        Assert.Equal([new CalibrationRow(40, 2, 100, 0.1, 0.3, 0.08)], rows);
        Assert.Contains("old.csv:1: no column 'mmc_lq'", Error(() => Calibration.Read(Write("old.csv", "lambda,workers,mu,rho,observed_lq,observed_log_sd", "40,2,100,0.2,0.1,0.3"))), StringComparison.Ordinal);
    }

    [Fact]
    public void Written_tables_keep_their_format_and_quote_only_what_needs_it()
    {
        var path = Path.Combine(_dir, "out.csv");
        CsvTable.Write(path, ["a", "b", "c"], [["1", "", "x,y"], [CsvTable.Field(-0.5), CsvTable.Field((double?)null), CsvTable.Field(1234567L)]], [" note"]);
        Assert.Equal(["# note", "a,b,c", "1,,\"x,y\"", "-0.5,,1234567"], File.ReadAllLines(path));
        var trace = Path.Combine(_dir, "trace.csv");
        TraceStep[] steps = [new(1, 0, 16, 100, 0.25), new(2.5, 3, 16, null, null)];
        TwinTrace.Write(trace, steps);
        Assert.Equal([TwinTrace.Header, "1,0,16,100,0.25", "2.5,3,16,,"], File.ReadAllLines(trace));
        Assert.Equal(steps, TwinTrace.Read(trace));
    }
}

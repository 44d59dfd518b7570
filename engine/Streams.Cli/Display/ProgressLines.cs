using System.Globalization;
using System.Text;
using Streams.Engine.Runtime;

namespace Streams.Cli.Display;

/// <summary>Progress for logs and pipes: one line per interval with totals, rate and each stage's queue and workers.</summary>
internal sealed class ProgressLines(TextWriter output, TimeSpan interval)
{
    private TimeSpan _next = TimeSpan.Zero;

    public void OnSample(PipelineSnapshot s)
    {
        if (s.Elapsed < _next) return;
        _next = s.Elapsed + interval;
        output.WriteLine(Line(s));
        output.Flush();
    }

    public static string Line(PipelineSnapshot s)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss.fff} progress {s.Elapsed.TotalSeconds,6:0.0} s  received {s.Received}  processed {s.Processed} ({Format.Rate(s.ProcessedPerSecond)} ev/s)  failed {s.Failed}  discarded {s.Discarded}  in-flight {s.InFlight}");
        foreach (var st in s.Stages)
        {
            if (st.Kind == "source") continue;
            sb.Append(CultureInfo.InvariantCulture, $" | {st.Name} q {st.QueueDepth}/{st.QueueCapacity} w {st.Threads} busy {Format.Percent(st.BusyFraction)}");
        }

        return sb.ToString();
    }
}

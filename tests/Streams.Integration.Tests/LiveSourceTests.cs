using Streams.Cli.Live;

namespace Streams.Integration.Tests;

/// <summary>
/// The live view's readers, without a browser: the controller's log lines become decisions with their reasons, and
/// the exposition text gives back the controller's and twin's gauges.
/// </summary>
public sealed class LiveSourceTests
{
    [Fact]
    public void A_change_of_workers_in_the_log_becomes_a_decision_with_its_reason_and_other_lines_pass()
    {
        var plan = Pipelines.Plan("""
            name: p
            sources: [{name: s, operator: synthetic, config: {count: 1}}]
            sinks: [{name: o, operator: count, input: s}]
            """);
        var live = new LiveRun(plan);
        using var passed = new StringWriter();
        using var tap = live.Tap(passed);
        tap.WriteLine("08:12:11.727 info [controller] reconstruct: workers 1 -> 3 (queue-model: lambda 1357.8/s, mu 171.4/s; raise to 3; utilisation 0.97)");
        tap.WriteLine("08:12:11.800 info [reconstruct] not the controller");
        tap.WriteLine("08:12:12.000 warn [controller] tick failed: boom");

        Assert.Contains("not the controller", passed.ToString(), StringComparison.Ordinal);
        var d = live.Decisions;
        Assert.Equal(2, d.Count);
        Assert.Equal(("reconstruct", 1, 3, "queue-model", "lambda 1357.8/s, mu 171.4/s; raise to 3"), (d[0].Stage, d[0].From, d[0].To, d[0].Law, d[0].Reason));
        Assert.Equal(("warn", "tick failed: boom", null), (d[1].Level, d[1].Message, d[1].Reason));
    }

    [Fact]
    public void The_exposition_text_gives_back_labels_and_values()
    {
        var samples = MetricsText.Parse("""
            # HELP streams_twin_load_estimate x
            streams_twin_load_estimate{pipeline="p",stage="a \"b\""} 1.5
            streams_controller_demand{pipeline="p",stage="a",law="queue-model"} NaN
            streams_stage_workers{pipeline="p",stage="a"} 2
            """, "streams_twin_", "streams_controller_");
        Assert.Equal(2, samples.Count);
        Assert.Equal(("a \"b\"", 1.5), (samples[0].Label("stage"), samples[0].Value));
        Assert.True(double.IsNaN(samples[1].Value));
        Assert.Equal("queue-model", samples[1].Label("law"));
    }
}

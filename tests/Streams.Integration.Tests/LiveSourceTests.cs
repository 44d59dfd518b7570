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

    [Fact]
    public void The_sites_of_a_pool_come_back_from_their_gauges_and_other_pipelines_are_left_out()
    {
        var plan = Pipelines.Plan("""
            name: p
            sources: [{name: s, operator: synthetic, config: {count: 1}}]
            sinks: [{name: o, operator: count, input: s}]
            """);
        var doc = LiveDocument.Build(new LiveRun(plan), """
            streams_site_nodes{pipeline="p",site="farm",state="pending"} 1
            streams_site_nodes{pipeline="p",site="farm",state="running"} 3
            streams_site_join_seconds{pipeline="p",site="farm",quantile="0.5"} 4.5
            streams_site_join_seconds{pipeline="p",site="farm",quantile="0.9"} 9
            streams_site_health{pipeline="p",site="farm"} 0
            streams_site_nodes{pipeline="p",site="hpc",state="running"} 0
            streams_site_health{pipeline="p",site="hpc"} 2
            streams_site_health{pipeline="other",site="cloud"} 1
            """);
        Assert.Equal([new LiveSite("farm", 1, 3, 4.5, 9, "up"), new LiveSite("hpc", 0, 0, null, null, "down")], doc.Sites);
        Assert.Contains("\"sites\":[{\"site\":\"farm\"", System.Text.Encoding.UTF8.GetString(doc.ToUtf8Json()), StringComparison.Ordinal);
    }

    [Fact]
    public void The_report_recorder_keeps_nodes_by_state_and_by_site_and_marks_decisions_at_the_run_time()
    {
        var registry = Streams.Engine.Metrics.MetricsRegistry.CreatePrivate();
        registry.Factory.CreateGauge("streams_nodes", "x", ["pipeline", "provider", "state"]).WithLabels("p", "local", "ready").Set(2);
        registry.Factory.CreateGauge("streams_site_nodes", "x", ["pipeline", "site", "state"]).WithLabels("p", "farm", "running").Set(2);
        var recorder = new Streams.Cli.Report.ReportRecorder("p", registry);
        var stage = new Streams.Engine.Runtime.StageSnapshot("work", "processor", 10, 10, 0, 0, 3, 16, 2, 4, 500, 0.5);
        recorder.OnSample(new Streams.Engine.Runtime.PipelineSnapshot(TimeSpan.FromSeconds(7), 10, 10, 0, 0, 0, 500, [stage]));
        recorder.OnDecision(new LiveDecision("08:00:00.000", "info", "work: workers 2 -> 3 (queue-model: queue over target)") { Stage = "work" });

        var t = recorder.Timeline;
        Assert.Equal([Streams.Cli.Report.ReportRecorder.EventsPerSecond, Streams.Cli.Report.ReportRecorder.QueueDepth, Streams.Cli.Report.ReportRecorder.Threads,
            Streams.Cli.Report.ReportRecorder.Nodes, Streams.Cli.Report.ReportRecorder.NodesBySite], t.Panels);
        Assert.Equal(("ready (local)", 2.0), (t.Series("nodes")[0].Label, t.Series("nodes")[0].Values[0]));
        Assert.Equal(("farm running", 2.0), (t.Series("nodes by site")[0].Label, t.Series("nodes by site")[0].Values[0]));
        Assert.Equal(new Streams.Reporting.Report.TimelineMark(7, "work", "work: workers 2 -> 3 (queue-model: queue over target)"), Assert.Single(t.Marks));
    }
}

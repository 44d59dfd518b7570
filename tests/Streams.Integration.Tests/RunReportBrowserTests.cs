namespace Streams.Integration.Tests;

/// <summary>
/// The HTML report of a real run opened in a real headless Chromium from the file alone (file://, a browser with no
/// network): its sections are there, every image is decoded and drawn, and nothing on the page asked for a resource.
/// The screenshot goes to the test's temp folder.
/// </summary>
public sealed class RunReportBrowserTests(TempDir dir) : IClassFixture<TempDir>
{
    [Fact]
    public async Task The_report_of_a_controlled_run_opens_in_a_browser_with_its_plots_and_decisions()
    {
        // One worker serves about 1,600 events/s (600 us each) of the 3,000 arriving: the queue-model law adds workers,
        // so the report has decisions to mark on its time axis.
        var yaml = dir.Write("report-control.yaml", """
            name: report-control
            control:
              law: queue-model
              interval: 1
              queue-target: 300
              drain-seconds: 3
              boot-seconds: 0
            sources: [{name: daq, operator: synthetic, config: {rate: 3000, batch-size: 50}}]
            stages: [{name: reconstruct, operator: cpu-burn, input: daq, workers: 1, max-workers: 3, config: {work-us: 600}}]
            sinks: [{name: out, operator: count, input: reconstruct}]
            """);
        var reportDir = dir.File("report-control");
        var (code, _, stderr) = await StreamsProcess.RunInAsync(120, dir.Path, "run", yaml, "--duration", "8", "--report", reportDir, "--metrics-listen", "off", "--progress", "none");
        Assert.True(code == 0, stderr);
        var report = Path.Combine(reportDir, "report.html");
        Assert.Contains($"report written to {report}", stderr, StringComparison.Ordinal);

        using var browser = BrowserSession.Start(dir);
        browser.Driver.Navigate().GoToUrl(new Uri(report).AbsoluteUri);
        Assert.Equal("report-control: Streams run report", browser.Driver.Title);
        Assert.Equal(["Events", "Stages", "Over time", "Failures"], browser.Texts("h2"));
        Assert.Contains("reconstruct: workers 1 -> ", string.Join("\n", browser.Texts("table.rows td")), StringComparison.Ordinal);
        // Every image decoded: a broken data URI or a fetched file would leave naturalWidth 0.
        var widths = ((IEnumerable<object>)browser.Driver.ExecuteScript("return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0);")!).Select(Convert.ToInt64).ToList();
        Assert.NotEmpty(widths);
        Assert.All(widths, w => Assert.True(w > 500, $"an image drew {w} pixels wide"));
        // Nothing but the page itself was loaded.
        var resources = (long)browser.Driver.ExecuteScript("return performance.getEntriesByType('resource').filter(r => !r.name.startsWith('data:')).length;")!;
        Assert.Equal(0, resources);
        var png = dir.File("report-control.png");
        Assert.True(browser.Screenshot(png) > 10_000, png);
    }
}

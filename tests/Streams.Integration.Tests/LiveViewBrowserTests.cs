using System.Net;
using System.Text.Json;

namespace Streams.Integration.Tests;

/// <summary>
/// The live web view of a running `streams run`, opened in a real headless Chromium: the page at
/// <c>http://HOST:PORT/</c> (HOST:PORT from <c>--metrics-file</c>) draws the stages and their events/s, the numbers
/// move while the run goes on, a controller's decision shows with its reason; the endpoint stays read-only and
/// <c>/metrics</c> keeps serving Prometheus. Screenshots go to the test's temp folder.
/// </summary>
public sealed class LiveViewBrowserTests(TempDir dir) : IClassFixture<TempDir>
{
    [Fact]
    public async Task The_live_view_shows_the_stages_and_their_rates_change()
    {
        // The source's rate steps (2,000 -> 6,000 -> 3,000 events/s), so the events/s the page shows must change.
        var yaml = dir.Write("live-view.yaml", """
            name: live-view
            sources: [{name: gen, operator: synthetic, config: {rate-steps: ['0:2000', '4:6000', '8:3000', '12:5000'], batch-size: 50}}]
            stages: [{name: reconstruct, operator: cpu-burn, input: gen, workers: 1, config: {work-us: 20}}]
            sinks: [{name: tally, operator: count, input: reconstruct}]
            """);
        var (streams, address) = await StartRunAsync(yaml, "live-view.addr");
        using var run = streams;
        using var browser = BrowserSession.Start(dir);
        browser.Driver.Navigate().GoToUrl($"http://{address}/");

        Assert.True(await BrowserSession.WaitAsync(() => browser.Texts("#graph [data-role=name]").Count == 3, 30), PageState(browser, run));
        Assert.Equal(["gen", "reconstruct", "tally"], browser.Texts("#graph [data-role=name]"));
        Assert.Equal(2, browser.Driver.FindElements(OpenQA.Selenium.By.CssSelector("#graph path.edge")).Count);
        Assert.Equal("live-view", browser.Driver.FindElement(OpenQA.Selenium.By.Id("title")).Text);

        var first = string.Join(" | ", browser.Texts("#graph [data-role=rate]"));
        Assert.Contains("ev/s", first, StringComparison.Ordinal);
        var second = first;
        Assert.True(await BrowserSession.WaitAsync(() => (second = string.Join(" | ", browser.Texts("#graph [data-role=rate]"))) != first, 20),
            $"events/s did not change: {first}\n{PageState(browser, run)}");
        Assert.NotEqual(first, second);
        var png = dir.File("live-view.png");
        Assert.True(browser.Screenshot(png) > 10_000, png);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);

        // Read-only beside an unchanged Prometheus endpoint.
        using var http = new HttpClient { BaseAddress = new Uri($"http://{address}/"), Timeout = TimeSpan.FromSeconds(10) };
        using (var post = await http.PostAsync(new Uri("api/snapshot", UriKind.Relative), new StringContent("{}")))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        }

        using (var metrics = await http.GetAsync(new Uri("metrics", UriKind.Relative)))
        {
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType?.ToString());
            Assert.Contains("streams_stage_events_per_second{pipeline=\"live-view\",stage=\"reconstruct\"", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("api/snapshot", UriKind.Relative))).RootElement;
        Assert.Equal(["gen->reconstruct", "reconstruct->tally"],
            doc.GetProperty("edges").EnumerateArray().Select(e => $"{e.GetProperty("from").GetString()}->{e.GetProperty("to").GetString()}"));

        run.Signal("TERM");
        Assert.Equal(0, await run.WaitAsync(60));
    }

    [Fact]
    public async Task The_live_view_of_a_controlled_run_shows_a_decision_and_its_reason()
    {
        // One worker serves about 1,600 events/s (600 us each) of the 3,000 arriving: the queue-model law adds workers.
        var yaml = dir.Write("live-control.yaml", """
            name: live-control
            control:
              law: queue-model
              twin-advisor: true
              interval: 1
              queue-target: 300
              drain-seconds: 3
              boot-seconds: 0
              down-window: 5
            sources: [{name: daq, operator: synthetic, config: {rate: 3000, batch-size: 50}}]
            stages: [{name: reconstruct, operator: cpu-burn, input: daq, workers: 1, max-workers: 3, config: {work-us: 600}}]
            sinks: [{name: out, operator: count, input: reconstruct}]
            """);
        var (streams, address) = await StartRunAsync(yaml, "live-control.addr");
        using var run = streams;
        using var browser = BrowserSession.Start(dir);
        browser.Driver.Navigate().GoToUrl($"http://{address}/");

        Assert.True(await BrowserSession.WaitAsync(() => browser.Texts("#decisions [data-role=reason]").Any(r => r.Length > 0), 60),
            $"no decision with a reason on the page\n{PageState(browser, run)}");
        var reason = browser.Texts("#decisions [data-role=reason]")[0];
        Assert.Contains(reason, run.Stderr, StringComparison.Ordinal); // the reason the controller logged, word for word
        Assert.Contains("reconstruct:", string.Join("\n", browser.Texts("#decisions .change")), StringComparison.Ordinal);
        Assert.True(await BrowserSession.WaitAsync(() => browser.Texts("#control td").Contains("queue-model") && browser.Texts("#twin td").Contains("reconstruct"), 20),
            $"no controller or twin table\n{PageState(browser, run)}");
        var png = dir.File("live-control.png");
        Assert.True(browser.Screenshot(png) > 10_000, png);

        run.Signal("TERM");
        Assert.Equal(0, await run.WaitAsync(60));
    }

    /// <summary>Starts `streams run` with its endpoint on a free loopback port and reads HOST:PORT from --metrics-file.</summary>
    private async Task<(StreamsProcess Run, string Address)> StartRunAsync(string yaml, string addressFile)
    {
        var file = dir.File(addressFile);
        var run = StreamsProcess.StartIn(dir.Path, "run", yaml, "--duration", "90", "--progress", "none",
            "--metrics-listen", "127.0.0.1:0", "--metrics-file", file);
        try
        {
            await Eventually.Until(() => File.Exists(file) || run.Child.HasExited, $"{addressFile} written by streams run");
            Assert.False(run.Child.HasExited, run.Stderr);
            var address = (await File.ReadAllTextAsync(file)).Trim();
            Assert.StartsWith("127.0.0.1:", address, StringComparison.Ordinal);
            return (run, address);
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    private static string PageState(BrowserSession browser, StreamsProcess run) =>
        $"page: {browser.Driver.FindElement(OpenQA.Selenium.By.TagName("body")).Text}\nrun stderr:\n{run.Stderr}";
}

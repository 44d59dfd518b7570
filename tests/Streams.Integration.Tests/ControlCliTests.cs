using System.Text.Json;

namespace Streams.Integration.Tests;

/// <summary>`streams control simulate` end to end: table, PNG plots, JSON figures; and a bad control section refused.</summary>
public sealed class ControlCliTests(TempDir dir) : IClassFixture<TempDir>
{
    [Fact]
    public async Task Simulate_writes_a_table_plots_and_json_for_every_law()
    {
        var json = dir.File("control.json");
        var plots = dir.File("plots");
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(120, "control", "simulate", "--trace", "step", "--law", "all", "--json", json, "--plots", plots);
        Assert.True(code == 0, stderr);
        foreach (var law in new[] { "queue-model", "linear", "relative-supply", "hpa" })
        {
            Assert.Contains(law, stdout, StringComparison.Ordinal);
            var png = Path.Combine(plots, $"step-{law}.png");
            Assert.True(File.Exists(png), png);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
        }

        var results = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.GetProperty("results");
        Assert.Equal(4, results.GetArrayLength());
        foreach (var r in results.EnumerateArray())
        {
            Assert.Equal(r.GetProperty("eventsArrived").GetInt64(), r.GetProperty("eventsServed").GetInt64() + (long)r.GetProperty("finalQueue").GetDouble());
            Assert.True(r.GetProperty("coreSeconds").GetDouble() > 0);
        }
    }

    [Fact]
    public async Task A_pipeline_with_a_bad_control_law_is_refused_with_file_line_and_column()
    {
        var yaml = dir.Write("bad-control.yaml", """
            name: bad-control
            control: {law: pid}
            sources: [{name: s, operator: synthetic, config: {count: 10}}]
            stages: [{name: w, operator: noop, input: s}]
            sinks: [{name: o, operator: count, input: w}]
            """);
        var (code, _, stderr) = await StreamsProcess.RunAsync(60, "run", yaml, "--metrics-listen", "off");
        Assert.Equal(2, code);
        Assert.Contains("bad-control.yaml:2:", stderr, StringComparison.Ordinal);
        Assert.Contains("queue-model", stderr, StringComparison.Ordinal);
    }
}

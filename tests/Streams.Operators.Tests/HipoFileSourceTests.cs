using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Streams.Formats.Hipo;

namespace Streams.Operators.Tests;

/// <summary>hipo-file-source over the gavalian/hipo fixture, a malformed file among good ones, and sink -> source round trips.</summary>
public sealed partial class HipoFileSourceTests(TempDir dir) : IClassFixture<TempDir>
{
    private sealed record Captured(ulong Number, Dictionary<string, double[]> Columns);

    /// <summary>Runs <c>hipo-file-source</c> with <paramref name="config"/> (plus optional sinks) and keeps every event's columns.</summary>
    private static async Task<(List<Captured> Events, Engine.Runtime.PipelineSummary Summary)> ReadAsync(string config, string moreSinks = "")
    {
        var events = new List<Captured>();
        var probe = HipoTestKit.Probe("probe", batch =>
        {
            var r = batch.Records!;
            for (var i = 0; i < batch.Count; i++)
            {
                var columns = r.Schema.FieldsList.ToDictionary(f => f.Name, f => HipoTestKit.List(r, f.Name, i), StringComparer.Ordinal);
                events.Add(new Captured(batch.Meta[i].EventNumber, columns));
            }
        });
        var s = await Pipelines.RunAsync($$"""
            name: replay
            sources: [{name: dst, operator: hipo-file-source, config: {{config}}}]
            sinks:
              - {name: probe, operator: probe, input: dst}
            {{moreSinks}}
            """, catalog: Catalogs.Full(probe));
        Assert.True(s.SourceFailures.Count == 0, string.Join("\n", s.SourceFailures));
        return (events, s);
    }

    /// <summary>The REC::Particle rows of each event in the C++ reader's dump, as column name -> values.</summary>
    private static List<Dictionary<string, List<double>>> DumpedParticles()
    {
        var events = new List<Dictionary<string, List<double>>>();
        var inParticle = false;
        foreach (var line in File.ReadLines(HipoTestKit.FixtureDump))
        {
            if (line.StartsWith("event ", StringComparison.Ordinal)) events.Add(new Dictionary<string, List<double>>(StringComparer.Ordinal));
            else if (line.StartsWith("  bank ", StringComparison.Ordinal)) inParticle = line.StartsWith("  bank REC::Particle ", StringComparison.Ordinal);
            else if (inParticle && line.StartsWith("    [", StringComparison.Ordinal))
            {
                foreach (Match m in Pair().Matches(line))
                {
                    var values = events[^1].TryGetValue(m.Groups[1].Value, out var v) ? v : events[^1][m.Groups[1].Value] = [];
                    values.Add(double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
                }
            }
        }

        return events;
    }

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex Pair();

    [Fact]
    public async Task The_fixture_gives_its_20_events_with_the_REC_Particle_rows_of_the_cpp_dump()
    {
        var (events, s) = await ReadAsync($"{{path: \"{HipoTestKit.Fixture}\", batch-size: 7}}");
        Assert.Equal(20, events.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (ulong)i), events.Select(e => e.Number)); // no RUN::config: the index
        var dumped = DumpedParticles();
        Assert.Equal(20, dumped.Count);
        string[] columns = ["pid", "px", "py", "pz", "vx", "vy", "vz", "vt", "charge", "beta", "chi2pid", "status"];
        for (var i = 0; i < 20; i++)
        {
            foreach (var c in columns)
            {
                var want = dumped[i].TryGetValue(c, out var v) ? v.ToArray() : [];
                Assert.Equal(want, events[i].Columns[$"REC::Particle.{c}"]);
            }

            Assert.Equal(i % 3, events[i].Columns["REC::Particle.px"].Length);
            Assert.Equal(1 + (i % 4), events[i].Columns["DC::tdc.TDC"].Length);
            Assert.Equal([0.25 * i], events[i].Columns["REC::Event.beamCharge"]);
        }

        Assert.Equal([11, 2212], events[2].Columns["REC::Particle.pid"]);
        Assert.Equal([-2020, -2021], events[2].Columns["REC::Particle.status"]);
        var section = JsonSerializer.SerializeToElement(s.Sections!["hipo-file-source"]);
        Assert.Equal(1, section.GetProperty("filesRead").GetInt64());
        Assert.Equal(0, section.GetProperty("badFiles").GetInt64());
    }

    [Fact]
    public async Task Banks_choose_the_columns()
    {
        var (events, _) = await ReadAsync($"{{path: \"{HipoTestKit.Fixture}\", banks: [REC::Track]}}");
        Assert.Equal(20, events.Count);
        Assert.All(events, e => Assert.All(e.Columns.Keys, k => Assert.StartsWith("REC::Track.", k, StringComparison.Ordinal)));
        Assert.Equal(9, events[0].Columns.Count);
        Assert.Equal([1, 2], events[5].Columns["REC::Track.sector"]);
    }

    [Fact]
    public async Task A_bank_missing_from_a_file_is_reported_and_the_file_skipped()
    {
        var (events, s) = await ReadAsync($"{{path: \"{HipoTestKit.Fixture}\", banks: [REC::Particle, ECAL::adc]}}");
        Assert.Empty(events);
        var section = JsonSerializer.SerializeToElement(s.Sections!["hipo-file-source"]);
        Assert.EndsWith("hipo4.hipo: no bank 'ECAL::adc' in its dictionary (DC::tdc, REC::Event, REC::Particle, REC::Track)", section.GetProperty("problems")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_file_is_reported_with_its_offset_counted_and_skipped()
    {
        var folder = Directory.CreateDirectory(dir.File("glob")).FullName;
        var good = File.ReadAllBytes(HipoTestKit.Fixture);
        File.WriteAllBytes(Path.Combine(folder, "a.hipo"), good);
        var bad = (byte[])good.Clone();
        bad[1904 + 28] ^= 0xFF; // the magic word of the second data record
        File.WriteAllBytes(Path.Combine(folder, "b.hipo"), bad);
        File.WriteAllBytes(Path.Combine(folder, "c.hipo"), good);
        var (events, s) = await ReadAsync($"{{path: \"{Path.Combine(folder, "*.hipo")}\"}}");
        var section = JsonSerializer.SerializeToElement(s.Sections!["hipo-file-source"]);
        Assert.Equal(2, section.GetProperty("filesRead").GetInt64());
        Assert.Equal(1, section.GetProperty("badFiles").GetInt64());
        var problem = section.GetProperty("problems")[0].GetString()!;
        Assert.Matches(@"b\.hipo: malformed HIPO: .+ \(at byte \d+\)$", problem);
        Assert.DoesNotContain('\n', problem);
        Assert.True(events.Count >= 40, $"{events.Count} events"); // both good files whole, maybe the bad file's first record
        Assert.True(s.Events.Balanced);
    }

    [Fact]
    public async Task The_fixture_through_source_and_sink_is_the_same_file_content()
    {
        var copy = dir.File("copy.hipo");
        await ReadAsync($"{{path: \"{HipoTestKit.Fixture}\", batch-size: 3}}", $"  - {{name: file, operator: hipo-file-sink, input: dst, config: {{path: \"{copy}\", events-per-record: 8}}}}");
        using var original = HipoReader.Open(HipoTestKit.Fixture);
        using var written = HipoReader.Open(copy);
        Assert.Equal(original.Schemas.ToCompactStrings().Order(StringComparer.Ordinal), written.Schemas.ToCompactStrings().Order(StringComparer.Ordinal));
        Assert.Equal(original.EventCount, written.EventCount);
        for (var i = 0; i < original.EventCount; i++)
        {
            var a = original.GetEvent(i).GetBanks(original.Schemas).ToDictionary(b => b.Schema.Name, b => b.Data.ToArray(), StringComparer.Ordinal);
            var b = written.GetEvent(i).GetBanks(written.Schemas).ToDictionary(b => b.Schema.Name, b => b.Data.ToArray(), StringComparer.Ordinal);
            Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, data) in a) Assert.Equal(data, b[name]);
        }
    }

    [Fact]
    public async Task Chain_output_read_back_by_the_source_keeps_event_numbers_and_particle_rows()
    {
        var path = dir.File("chain-roundtrip.hipo");
        var s = await Pipelines.RunAsync($$$"""
            sources: [{name: daq, operator: clas12-sim, config: {count: 100, seed: 9}}]
            stages:
              - {name: decode, operator: clas12-decode, input: daq}
              - {name: tracking, operator: clas12-dc-tracking, input: decode}
              - {name: ec, operator: clas12-ec, input: tracking}
            sinks: [{name: hipo, operator: hipo-file-sink, input: ec, config: {path: "{{{path}}}"}}]
            """, catalog: Catalogs.Full(), limit: TimeSpan.FromSeconds(120));
        Assert.Equal(100, s.Stage("hipo").EventsOut);
        var (events, _) = await ReadAsync($"{{path: \"{path}\"}}");
        using var reader = HipoReader.Open(path);
        Assert.Equal(reader.EventCount, events.Count);
        var particle = reader.Schemas["REC::Particle"];
        for (var i = 0; i < events.Count; i++)
        {
            var ev = reader.GetEvent(i);
            Assert.Equal((ulong)ev.GetBank(reader.Schemas["RUN::config"]).GetInt("event", 0), events[i].Number);
            var bank = ev.GetBank(particle);
            for (var c = 0; c < particle.Entries.Count; c++)
            {
                var want = Enumerable.Range(0, bank.Rows).Select(r => bank.GetAsDouble(c, r)).ToArray();
                Assert.Equal(want, events[i].Columns[$"REC::Particle.{particle[c].Name}"]);
            }
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (ulong)i), events.Select(e => e.Number).Order());
    }
}

using System.Globalization;
using System.Text.Json;

namespace Streams.Integration.Tests;

/// <summary>`streams lb` for tests: started on free ports with one reserved instance, and asked about its members.</summary>
internal static class LbProcesses
{
    public const string Admin = "test-admin";

    /// <summary>Starts `streams lb` on any free ports with one reserved instance NAME; returns it and its URI.</summary>
    public static async Task<(StreamsProcess Lb, string Uri)> StartAsync(TempDir dir, string name)
    {
        var uriFile = dir.File($"{name}.uri");
        var lb = StreamsProcess.Start("lb", "--control", "127.0.0.1:0", "--data", "127.0.0.1:0", "--sync", "127.0.0.1:0", "--admin-token", Admin,
            "--reserve", name, "--uri-file", uriFile, "--status-interval", "1", "--summary-json", dir.File($"{name}-lb.json"));
        try
        {
            await lb.WaitForOutputAsync("reserved", 60);
            return (lb, (await File.ReadAllTextAsync(uriFile)).Trim());
        }
        catch
        {
            lb.Dispose(); // a failed start leaves no load balancer behind
            throw;
        }
    }

    /// <summary>The members of the instance, as `streams lb status --json` lists them.</summary>
    public static async Task<List<JsonElement>> MembersAsync(string uri)
    {
        var (code, stdout, stderr) = await StreamsProcess.RunAsync(30, "lb", "status", "--control", ControlOf(uri), "--token", Admin, "--json");
        Assert.True(code == 0, stderr);
        return [.. JsonDocument.Parse(stdout).RootElement[0].GetProperty("status").GetProperty("workers").EnumerateArray()];
    }

    /// <summary>A figure of the member (0 when it is not a member, or the figure is 0 and so not written).</summary>
    public static async Task<long> MemberAsync(string uri, string member, string field) =>
        (await MembersAsync(uri)).Where(w => w.GetProperty("name").GetString() == member).Select(w => Number(w, field)).DefaultIfEmpty(0).First();

    /// <summary>Members the load balancer gives slots to now.</summary>
    public static async Task<List<string>> ServingAsync(string uri) =>
        [.. (await MembersAsync(uri)).Where(w => Number(w, "slotsAssigned") > 0).Select(w => w.GetProperty("name").GetString()!)];

    public static string ControlOf(string uri) => System.Text.RegularExpressions.Regex.Match(uri, @"@([^/]+)/lb").Groups[1].Value;

    /// <summary>The protobuf JSON mapping writes 64-bit integers as strings, and leaves out zeros.</summary>
    private static long Number(JsonElement w, string field) =>
        !w.TryGetProperty(field, out var v) ? 0 : v.ValueKind == JsonValueKind.String ? long.Parse(v.GetString()!, CultureInfo.InvariantCulture) : v.GetInt64();
}

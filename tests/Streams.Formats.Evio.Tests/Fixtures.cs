namespace Streams.Formats.Evio.Tests;

/// <summary>Finds the JLab fixture files: ../shared/fixtures/jlab-formats/ next to the repository root.</summary>
internal static class Fixtures
{
    public static readonly string[] EvioFiles =
        ["evio4.evio", "evio4-be.evio", "evio4-dict.evio", "evio6-plain.evio", "evio6-be.evio", "evio6-lz4.evio", "evio6-dict.evio"];

    public static TheoryData<string> All()
    {
        var d = new TheoryData<string>();
        foreach (var f in EvioFiles) d.Add(f);
        return d;
    }

    /// <summary>The fixture folder; fails (never skips) when it cannot be found.</summary>
    public static string Directory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Streams.sln"))) dir = dir.Parent;
            Assert.True(dir != null, "repository root (the folder with Streams.sln) not found above " + AppContext.BaseDirectory);
            var fixtures = Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "fixtures", "jlab-formats"));
            Assert.True(System.IO.Directory.Exists(fixtures), "fixture folder missing: " + fixtures);
            return fixtures;
        }
    }

    public static string PathOf(string name)
    {
        var p = Path.Combine(Directory, name);
        Assert.True(File.Exists(p), "fixture missing: " + p);
        return p;
    }

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    public static string Dump(string name) => File.ReadAllText(PathOf(Path.ChangeExtension(name, ".dump.txt")));
}

namespace Streams.Formats.Hipo.Tests;

/// <summary>Finds the shared JLab fixtures: ../shared/fixtures/jlab-formats next to the repository root.</summary>
internal static class Fixtures
{
    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Streams.sln")))
                {
                    string path = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures", "jlab-formats"));
                    // Missing fixtures fail the test, never skip it.
                    Assert.True(System.IO.Directory.Exists(path), $"fixture folder {path} is missing");
                    return path;
                }
            }
            Assert.Fail($"no Streams.sln above {AppContext.BaseDirectory}");
            return "";
        }
    }

    public static byte[] Bytes(string name)
    {
        string path = Path.Combine(Directory, name);
        Assert.True(File.Exists(path), $"fixture {path} is missing");
        return File.ReadAllBytes(path);
    }

    public static string[] Lines(string name)
    {
        string path = Path.Combine(Directory, name);
        Assert.True(File.Exists(path), $"fixture {path} is missing");
        return File.ReadAllLines(path);
    }
}

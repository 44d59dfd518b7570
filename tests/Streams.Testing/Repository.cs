namespace Streams.TestKit;

/// <summary>Where the repository is, for tests that run its scripts or read its files.</summary>
public static class Repository
{
    /// <summary>The folder holding <c>Streams.sln</c>, found upwards from the test binaries.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Streams.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Streams.sln not found above the test folder");
        }
    }
}

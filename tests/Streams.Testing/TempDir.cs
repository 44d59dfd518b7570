namespace Streams.TestKit;

/// <summary>A temporary folder, removed with everything in it when disposed (a test, or a class fixture).</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>The folder's full path.</summary>
    public string Path { get; } = Directory.CreateTempSubdirectory("streams-test-").FullName;

    /// <summary>The path of <paramref name="name"/> in the folder (nothing is created).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes <paramref name="text"/> to the file <paramref name="name"/> in the folder and returns its path.</summary>
    public string Write(string name, string text)
    {
        var p = File(name);
        System.IO.File.WriteAllText(p, text);
        return p;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // The test removed it itself.
        }
    }
}

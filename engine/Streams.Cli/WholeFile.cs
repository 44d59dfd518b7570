namespace Streams.Cli;

/// <summary>
/// Writes a file whole or not at all: into a temporary file beside it, renamed over the target, so that a reader (a
/// script waiting for it, a second run) never sees half of it. Used for run summaries, the load balancer's books and
/// its URI file.
/// </summary>
internal static class WholeFile
{
    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> (parent folders created); <paramref name="ownerOnly"/> makes it readable by the owner alone (it holds a token). Returns an error message, or null.</summary>
    public static string? TryWrite(string path, string text, bool ownerOnly = false)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var temp = $"{path}.{Environment.ProcessId}.tmp";
            File.WriteAllText(temp, text);
            if (ownerOnly && !OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temp, path, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{path}: {e.Message}";
        }
    }
}

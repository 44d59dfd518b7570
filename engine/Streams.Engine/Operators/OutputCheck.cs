namespace Streams.Engine.Operators;

/// <summary>
/// Checks before a run that an output can be written where the pipeline says (used by sinks' Configure, so
/// <c>streams validate</c> catches it, and by the command for its own files): the nearest folder that exists must take
/// a new file. Nothing is left behind.
/// </summary>
public static class OutputCheck
{
    /// <summary>Throws a <see cref="ConfigException"/> (an output problem) when a file at <paramref name="path"/> could not be created.</summary>
    public static void FileCanBeWritten(OperatorConfig config, string parameter, string path)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (FileProblem(path) is { } why) throw Problem(config, parameter, why);
    }

    /// <summary>Throws when files could not be created in the folder <paramref name="folder"/> (created if missing).</summary>
    public static void FolderCanBeWritten(OperatorConfig config, string parameter, string folder)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (FolderProblem(folder) is { } why) throw Problem(config, parameter, why);
    }

    /// <summary>Why a file could not be created at <paramref name="path"/> (null: it can).</summary>
    public static string? FileProblem(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return $"cannot write '{path}': it is a folder";
        return FolderProblem(Path.GetDirectoryName(full) ?? full, path);
    }

    /// <summary>Why files could not be created in <paramref name="folder"/> (null: they can).</summary>
    public static string? FolderProblem(string folder, string? shown = null)
    {
        shown ??= folder;
        var existing = Path.GetFullPath(folder);
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing)) return $"cannot write '{shown}': '{existing}' is a file";
            var parent = Path.GetDirectoryName(existing);
            if (parent is null) break;
            existing = parent;
        }

        try
        {
            // The only portable test of "can I create a file here" (read-only mounts, permissions, ACLs, quotas) is
            // to create one; DeleteOnClose removes it again.
            using var probe = new FileStream(Path.Combine(existing, $".streams-write-check-{Environment.ProcessId}-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e switch
            {
                UnauthorizedAccessException => "permission denied",
                FileNotFoundException or DirectoryNotFoundException => "no files can be created there",
                _ => e.Message.Split(" : '")[0],
            };
            return $"cannot write '{shown}': folder '{existing}' does not take new files ({why})";
        }
    }

    private static ConfigException Problem(OperatorConfig config, string parameter, string message) =>
        new($"stage '{config.StageName}': {message}", config.Values.GetValueOrDefault(parameter)?.Location) { Output = true };
}

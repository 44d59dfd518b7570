namespace Streams.Transports.Files.Evio;

/// <summary>File lists of the EVIO operators: a path, or a glob with <c>*</c> and <c>?</c> in its file name (sorted).</summary>
internal static class EvioFiles
{
    /// <summary>The files <paramref name="pattern"/> names, in ordinal order; a plain path that does not exist gives none.</summary>
    public static IReadOnlyList<string> Expand(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var name = Path.GetFileName(pattern);
        if (name.AsSpan().IndexOfAny('*', '?') < 0) return File.Exists(pattern) ? [pattern] : [];
        var dir = Path.GetDirectoryName(pattern);
        dir = string.IsNullOrEmpty(dir) ? "." : dir;
        if (!Directory.Exists(dir)) return [];
        return [.. Directory.EnumerateFiles(dir, name).Order(StringComparer.Ordinal)];
    }
}

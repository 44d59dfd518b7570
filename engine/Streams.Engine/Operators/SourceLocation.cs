namespace Streams.Engine.Operators;

/// <summary>A place in a pipeline file, 1-based, printed as <c>file:line:column</c> (line 0: the whole file, printed as <c>file</c>).</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => Line == 0 ? File ?? string.Empty : $"{File}:{Line}:{Column}"; // line 0: the file as a whole (it could not be read)
}

/// <summary>One problem found in a pipeline file.</summary>
public sealed record Diagnostic(SourceLocation Location, string Message)
{
    /// <summary>True for an output that cannot be written (a folder that is read-only, say), not a mistake in the file.</summary>
    public bool Output { get; init; }

    public override string ToString() => $"{Location}: {Message}";
}

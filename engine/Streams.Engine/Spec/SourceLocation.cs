namespace Streams.Engine.Spec;

/// <summary>A place in a pipeline file, 1-based, printed as <c>file:line:column</c>.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>One problem found in a pipeline file.</summary>
public sealed record Diagnostic(SourceLocation Location, string Message)
{
    /// <summary>True for an output that cannot be written (a folder that is read-only, say), not a mistake in the file.</summary>
    public bool Output { get; init; }

    public override string ToString() => $"{Location}: {Message}";
}

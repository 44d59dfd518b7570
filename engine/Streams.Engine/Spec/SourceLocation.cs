namespace Streams.Engine.Spec;

/// <summary>A place in a pipeline file, 1-based, printed as <c>file:line:column</c>.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>One problem found in a pipeline file.</summary>
public sealed record Diagnostic(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}

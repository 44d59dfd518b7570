namespace Streams.Engine.Operators;

/// <summary>How bad an event failure is (ERSAP status and severity; ERSAP's severity 13 is <see cref="Fatal"/>).</summary>
public enum Severity
{
    Info,
    Warning,
    Error,
    /// <summary>The run cannot go on: intake stops and the pipeline drains.</summary>
    Fatal,
}

namespace Streams.Engine.Operators;

/// <summary>A configuration value as written in the pipeline file: a scalar or a list of scalars, with its location.</summary>
public sealed record ConfigValue(string? Scalar, IReadOnlyList<string>? Items, SourceLocation Location)
{
    public static ConfigValue Of(string scalar, SourceLocation location = default) => new(scalar, null, location);

    public override string ToString() => Scalar ?? $"[{string.Join(", ", Items ?? [])}]";
}

/// <summary>A bad configuration value, with where it was written when known.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message, SourceLocation? location = null)
        : base(message) => Location = location;

    public ConfigException()
    {
    }

    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SourceLocation? Location { get; }

    /// <summary>True when the problem is an output that cannot be written (<c>streams run</c> exits 4, not 2).</summary>
    public bool Output { get; init; }
}

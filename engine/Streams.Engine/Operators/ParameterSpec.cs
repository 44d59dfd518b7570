namespace Streams.Engine.Operators;

/// <summary>The value kinds an operator parameter can have (named as they appear in <c>streams operators</c>).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "The YAML value kinds are named after their types on purpose.")]
public enum ParameterType
{
    Int,
    Long,
    Double,
    Bool,
    String,
    /// <summary>A list of scalars (<c>[1, 2]</c> or a block sequence).</summary>
    List,
}

/// <summary>One declared operator parameter: name, type, default, range and what it means.</summary>
public sealed record ParameterSpec(string Name, ParameterType Type, string? Default, string Description)
{
    /// <summary>Smallest accepted value (numbers).</summary>
    public double? Min { get; init; }

    /// <summary>Largest accepted value (numbers).</summary>
    public double? Max { get; init; }

    /// <summary>Accepted values (strings); empty for any.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];
}

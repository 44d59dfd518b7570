using Streams.Engine.Batches;

namespace Streams.Engine.Operators;

/// <summary>The role an operator plays in a pipeline.</summary>
public enum OperatorKind
{
    Source,
    Processor,
    Sink,
}

/// <summary>
/// Everything the engine knows about an operator before making one: name, role, description, version, author,
/// accepted input types, output type, parameters and a factory. Registered in an <see cref="OperatorCatalog"/>.
/// </summary>
public sealed record OperatorDescriptor
{
    /// <summary>Name used in pipeline files (<c>operator:</c>, or ERSAP <c>class:</c>).</summary>
    public required string Name { get; init; }

    public required OperatorKind Kind { get; init; }

    public required string Description { get; init; }

    public string Version { get; init; } = "1.0";

    public string Author { get; init; } = "Streams";

    /// <summary>Accepted input types; <see cref="DataTypes.Any"/> accepts everything. Unused for sources.</summary>
    public IReadOnlyList<string> InputTypes { get; init; } = [DataTypes.Any];

    /// <summary>Output type; <see cref="DataTypes.SameAsInput"/> for pass-through operators. Unused for sinks.</summary>
    public string OutputType { get; init; } = DataTypes.SameAsInput;

    /// <summary>Declared parameters; a pipeline may set only these.</summary>
    public IReadOnlyList<ParameterSpec> Parameters { get; init; } = [];

    /// <summary>Other names accepted in pipeline files, such as an ERSAP Java class name.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>True when one instance may serve every worker of a stage concurrently.</summary>
    public bool Shareable { get; init; }

    /// <summary>Most workers a stage of this operator may have (a file writer: 1); null for no limit.</summary>
    public int? MaxWorkers { get; init; }

    /// <summary>
    /// Works out the output type from the configuration when it depends on it (a file source reads it from the
    /// file). Null: <see cref="OutputType"/> applies.
    /// </summary>
    public Func<OperatorConfig, string>? ResolveOutputType { get; init; }

    public required Func<IOperator> Factory { get; init; }
}

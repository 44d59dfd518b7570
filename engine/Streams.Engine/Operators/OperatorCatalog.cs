namespace Streams.Engine.Operators;

/// <summary>The operators a pipeline file may name. Each project registers its own (builtins, files, EJFAT, CLAS12).</summary>
public sealed class OperatorCatalog
{
    private readonly Dictionary<string, OperatorDescriptor> _byName = new(StringComparer.Ordinal);
    private readonly List<OperatorDescriptor> _all = [];

    /// <summary>Every registered operator, in registration order.</summary>
    public IReadOnlyList<OperatorDescriptor> All => _all;

    /// <summary>Adds an operator under its name and aliases.</summary>
    public OperatorCatalog Add(OperatorDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        foreach (var name in descriptor.Aliases.Prepend(descriptor.Name))
        {
            if (!_byName.TryAdd(name, descriptor))
            {
                throw new InvalidOperationException($"operator name '{name}' is registered twice");
            }
        }

        _all.Add(descriptor);
        return this;
    }

    /// <summary>Finds an operator by name or alias.</summary>
    public bool TryGet(string name, out OperatorDescriptor descriptor) => _byName.TryGetValue(name, out descriptor!);

    /// <summary>Names of the operators of one kind, sorted, for error messages.</summary>
    public IEnumerable<string> NamesOf(OperatorKind kind) =>
        _all.Where(d => d.Kind == kind).Select(d => d.Name).Order(StringComparer.Ordinal);
}

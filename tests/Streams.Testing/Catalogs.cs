using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Operators.Clas12;
using Streams.Transports.Ejfat;
using Streams.Transports.Files;
using Streams.Transports.ZeroMq.Operators;

namespace Streams.TestKit;

/// <summary>Operator catalogs for tests: the builtins alone, or every operator the <c>streams</c> command knows.</summary>
public static class Catalogs
{
    /// <summary>The builtin operators (synthetic, cpu-burn, count, noop, fault-inject) and <paramref name="extra"/>.</summary>
    public static OperatorCatalog Builtin(params OperatorDescriptor[] extra) => With(BuiltinOperators.Register(new OperatorCatalog()), extra);

    /// <summary>
    /// Every operator of every operator project, registered in the order of the command's own catalog
    /// (<c>engine/Streams.Cli/OperatorSet.cs</c>), and <paramref name="extra"/>.
    /// </summary>
    public static OperatorCatalog Full(params OperatorDescriptor[] extra)
    {
        var catalog = new OperatorCatalog();
        BuiltinOperators.Register(catalog);
        FileOperators.Register(catalog);
        EjfatOperators.Register(catalog);
        Clas12Operators.Register(catalog);
        ZeroMqOperators.Register(catalog);
        return With(catalog, extra);
    }

    private static OperatorCatalog With(OperatorCatalog catalog, OperatorDescriptor[] extra)
    {
        ArgumentNullException.ThrowIfNull(extra);
        foreach (var d in extra) catalog.Add(d);
        return catalog;
    }
}

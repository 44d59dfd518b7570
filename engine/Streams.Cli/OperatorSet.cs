using Streams.Operators.Builtin;
using Streams.Engine.Operators;
using Streams.Operators.Clas12;
using Streams.Transports.Ejfat;
using Streams.Transports.Files;
using Streams.Transports.ZeroMq.Operators;

namespace Streams.Cli;

/// <summary>Every operator the <c>streams</c> command knows. Each project adds its own registration here.</summary>
internal static class OperatorSet
{
    public static OperatorCatalog Create()
    {
        var catalog = new OperatorCatalog();
        BuiltinOperators.Register(catalog);
        FileOperators.Register(catalog);
        EjfatOperators.Register(catalog);
        Clas12Operators.Register(catalog);
        ZeroMqOperators.Register(catalog);
        return catalog;
    }
}

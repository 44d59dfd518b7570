using System.Reflection;

namespace Streams.Engine.Tests;

/// <summary>What types a type's signatures name, read by reflection (for the tests of the engine's dependencies).</summary>
internal static class Signatures
{
    /// <summary>
    /// The types <paramref name="type"/> names in its base type, interfaces, fields, properties, events, constructors
    /// and methods (declared ones; non-public too unless <paramref name="publicOnly"/>), generic arguments included.
    /// </summary>
    public static IEnumerable<Type> Referenced(Type type, bool publicOnly = false)
    {
        var all = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly | (publicOnly ? 0 : BindingFlags.NonPublic);
        var direct = new List<Type>();
        if (type.BaseType is { } b) direct.Add(b);
        direct.AddRange(type.GetInterfaces());
        direct.AddRange(type.GetFields(all).Select(f => f.FieldType));
        direct.AddRange(type.GetProperties(all).Select(p => p.PropertyType));
        direct.AddRange(type.GetEvents(all).Select(e => e.EventHandlerType!));
        foreach (var m in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (m is MethodInfo mi) direct.Add(mi.ReturnType);
            direct.AddRange(m.GetParameters().Select(p => p.ParameterType));
        }

        return direct.SelectMany(Expand);
    }

    /// <summary>A type with the types it is built from: element types of arrays, pointers and refs, generic arguments.</summary>
    public static IEnumerable<Type> Expand(Type type)
    {
        if (type.HasElementType)
        {
            foreach (var t in Expand(type.GetElementType()!)) yield return t;
            yield break;
        }

        if (type.IsGenericParameter) yield break;
        yield return type;
        if (!type.IsGenericType) yield break;
        foreach (var arg in type.GetGenericArguments())
        {
            foreach (var t in Expand(arg)) yield return t;
        }
    }
}

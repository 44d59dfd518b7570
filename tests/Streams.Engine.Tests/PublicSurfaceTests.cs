using System.Reflection;
using Streams.Engine.Operators;

namespace Streams.Engine.Tests;

/// <summary>The engine's public API speaks in Streams' own types: no prometheus-net type appears in a public signature.</summary>
public sealed class PublicSurfaceTests
{
    [Fact]
    public void No_public_signature_of_the_engine_names_a_prometheus_type()
    {
        var prometheus = typeof(Prometheus.Metrics).Assembly;
        var found = typeof(IOperator).Assembly.GetTypes()
            .Where(IsVisible)
            .SelectMany(t => Signatures.Referenced(t, publicOnly: true).Where(u => u.Assembly == prometheus).Select(u => $"{t.FullName} -> {u.FullName}"))
            .Distinct()
            .ToList();
        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    private static bool IsVisible(Type t) => t.IsVisible && !t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute));
}

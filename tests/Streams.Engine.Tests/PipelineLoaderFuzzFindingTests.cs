using Streams.Engine.Spec;

namespace Streams.Engine.Tests;

/// <summary>Fuzz findings (yaml target, tests/fuzz/crashes/yaml): YamlDotNet threw exceptions that are not YamlException.</summary>
public class PipelineLoaderFuzzFindingTests
{
    [Theory]
    [InlineData("- {\n0")]   // YamlDotNet's scanner: InvalidOperationException
    [InlineData("\0: 0")]    // YamlDotNet's loader: ArgumentException "unsupported event type"
    public void Malformed_yaml_that_made_the_yaml_library_throw_gives_a_diagnostic(string yaml)
    {
        var loaded = PipelineLoader.Load(yaml, "fuzz.yaml");
        Assert.False(loaded.Ok);
        var d = Assert.Single(loaded.Diagnostics);
        Assert.StartsWith("YAML syntax:", d.Message, StringComparison.Ordinal);
        Assert.Equal("fuzz.yaml", d.Location.File);
    }
}

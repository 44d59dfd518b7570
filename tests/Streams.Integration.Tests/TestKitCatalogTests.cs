using Streams.Cli;

namespace Streams.Integration.Tests;

/// <summary>The test kit's full catalog is the command's: the operator contract tests cover every operator a pipeline can name.</summary>
public sealed class TestKitCatalogTests
{
    [Fact]
    public void The_kits_full_catalog_registers_the_commands_operators_in_its_order()
    {
        var command = OperatorSet.Create().All.Select(d => d.Name);
        var kit = Catalogs.Full().All.Select(d => d.Name);
        Assert.Equal(command, kit);
    }
}

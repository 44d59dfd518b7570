using Streams.Engine.Batches;
using Streams.Engine.Operators;

namespace Streams.TestKit;

/// <summary>
/// The contract every operator of a catalog keeps, checked over all of them (derive, give the catalog and the table of
/// minimal configurations): it configures from its declared defaults, or from the table when it has required
/// parameters (an operator that needs an entry and has none fails the test, so a new operator cannot be forgotten); a
/// processor turns a small batch of each type it accepts into a batch of the type it declares; a sink takes a small
/// batch of each type it accepts; a shareable processor gives the same results used from several threads at once.
/// Sample batches are made by the catalog's own operators (<see cref="OperatorSamples"/>).
/// </summary>
public abstract class OperatorContractTests
{
    private OperatorSamples? _samples;

    /// <summary>The operators under test.</summary>
    protected abstract OperatorCatalog Catalog { get; }

    /// <summary>
    /// Parameter values (name to value, as written in a pipeline file) for every operator that cannot be configured
    /// from its defaults alone: the least a pipeline must set. Operators not listed are configured with defaults.
    /// </summary>
    protected abstract IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> MinimalConfigs { get; }

    /// <summary>
    /// Sinks whose <see cref="ISink.Write"/> is not exercised here, with the reason (one that needs a live peer, say);
    /// they are still configured.
    /// </summary>
    protected virtual IReadOnlyDictionary<string, string> SinksNotWritten { get; } = new Dictionary<string, string>();

    private OperatorSamples Samples => _samples ??= new OperatorSamples(Catalog, ConfigFor);

    [Fact]
    public void Every_operator_that_needs_configuration_has_an_entry_in_the_table()
    {
        var missing = new List<string>();
        foreach (var d in Catalog.All)
        {
            if (MinimalConfigs.ContainsKey(d.Name)) continue;
            using var op = d.Factory();
            try
            {
                op.Configure(new OperatorConfig(d.Parameters, null, "contract"));
            }
            catch (ConfigException e)
            {
                missing.Add($"{d.Name}: {e.Message}");
            }
        }

        Assert.True(missing.Count == 0, "operators with required parameters and no minimal configuration in the table:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void The_table_names_only_operators_of_the_catalog_and_their_declared_parameters()
    {
        var problems = new List<string>();
        foreach (var (name, values) in MinimalConfigs)
        {
            if (!Catalog.TryGet(name, out var d))
            {
                problems.Add($"{name}: no such operator");
                continue;
            }

            problems.AddRange(ConfigFor(d).Check().Select(p => $"{name}: {p.Message}"));
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_operator_configures_from_its_defaults_or_its_table_entry()
    {
        var failures = new List<string>();
        foreach (var d in Catalog.All)
        {
            using var op = d.Factory();
            try
            {
                op.Configure(ConfigFor(d));
                op.Reset();
            }
            catch (Exception e)
            {
                failures.Add($"{d.Name}: {e.GetType().Name}: {e.Message}");
            }

            var kindOk = d.Kind switch
            {
                OperatorKind.Source => op is ISource,
                OperatorKind.Processor => op is IProcessor or IAsyncProcessor,
                _ => op is ISink,
            };
            if (!kindOk) failures.Add($"{d.Name}: declared a {d.Kind} but its factory made a {op.GetType().Name}");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Every_processor_turns_each_type_it_accepts_into_the_type_it_declares()
    {
        var failures = new List<string>();
        var checkedAny = false;
        foreach (var d in Catalog.All.Where(d => d.Kind == OperatorKind.Processor))
        {
            var types = Samples.ConcreteTypesFor(d.InputTypes);
            if (types.Count == 0) failures.Add($"{d.Name}: no operator of the catalog makes a sample it accepts ({string.Join(", ", d.InputTypes)})");
            foreach (var type in types)
            {
                using var op = d.Factory();
                if (op is not IProcessor processor) continue; // an asynchronous processor runs on workers, not here
                processor.Configure(ConfigFor(d));
                using var input = Samples.Make(type);
                var (output, thrown, _) = OperatorSamples.Process(processor, input);
                using var _output = ReferenceEquals(output, input) ? null : output;
                checkedAny = true;
                var expected = d.OutputType == DataTypes.SameAsInput ? input.DataType : d.OutputType;
                if (thrown is not null) failures.Add($"{d.Name}: threw on a {input.DataType} batch: {thrown.GetType().Name}: {thrown.Message}");
                else if (output is not null && expected != DataTypes.Any && output.DataType != expected)
                {
                    failures.Add($"{d.Name}: given {input.DataType}, returned {output.DataType}; it declares {expected}");
                }
            }
        }

        Assert.True(checkedAny, "no processor could be given a sample batch");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Every_sink_takes_a_batch_of_each_type_it_accepts()
    {
        var failures = new List<string>();
        foreach (var d in Catalog.All.Where(d => d.Kind == OperatorKind.Sink && !SinksNotWritten.ContainsKey(d.Name)))
        {
            var types = Samples.ConcreteTypesFor(d.InputTypes);
            if (types.Count == 0) failures.Add($"{d.Name}: no operator of the catalog makes a sample it accepts ({string.Join(", ", d.InputTypes)})");
            foreach (var type in types)
            {
                using var sink = (ISink)d.Factory();
                try
                {
                    sink.Configure(ConfigFor(d));
                    using var batch = Samples.Make(type);
                    var context = OperatorSamples.Context(batch);
                    sink.Write(batch, context);
                    context.End();
                    sink.Flush();
                }
                catch (Exception e)
                {
                    failures.Add($"{d.Name} given {type}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Every_shareable_processor_gives_the_same_results_from_several_threads_at_once()
    {
        var failures = new List<string>();
        foreach (var d in Catalog.All.Where(d => d.Kind == OperatorKind.Processor && d.Shareable))
        {
            if (Samples.ConcreteTypesFor(d.InputTypes) is not [var type, ..]) continue;
            (int Out, int Failed) expected;
            using (var alone = (IProcessor)d.Factory())
            {
                alone.Configure(ConfigFor(d));
                expected = Outcome(alone, Samples.Make(type));
            }

            // One instance, as the engine shares it between the workers of a stage; a context per thread.
            using var shared = (IProcessor)d.Factory();
            shared.Configure(ConfigFor(d));
            var inputs = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 50).Select(_ => Samples.Make(type)).ToList()).ToList();
            var results = await Task.WhenAll(inputs.Select(mine => Task.Run(() => mine.Select(b => Outcome(shared, b)).ToList())));
            var differing = results.SelectMany(r => r).Count(r => r != expected);
            if (differing > 0) failures.Add($"{d.Name}: {differing} of {results.Sum(r => r.Count)} batches differ from the result of one thread ({expected})");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The configuration the contract gives <paramref name="d"/>: its table entry over its defaults.</summary>
    protected OperatorConfig ConfigFor(OperatorDescriptor d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var values = MinimalConfigs.TryGetValue(d.Name, out var v) ? v.ToDictionary(kv => kv.Key, kv => ConfigValue.Of(kv.Value), StringComparer.Ordinal) : null;
        return new OperatorConfig(d.Parameters, values, "contract");
    }

    /// <summary>Events out and events failed when <paramref name="processor"/> processes <paramref name="input"/> (disposed here).</summary>
    private static (int Out, int Failed) Outcome(IProcessor processor, EventBatch input)
    {
        using (input)
        {
            var (output, thrown, failed) = OperatorSamples.Process(processor, input);
            if (thrown is not null) return (-1, -1);
            var n = output?.Count ?? 0;
            if (!ReferenceEquals(output, input)) output?.Dispose();
            else n -= failed;
            return (n, failed);
        }
    }
}

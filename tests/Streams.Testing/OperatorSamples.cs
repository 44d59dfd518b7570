using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;

namespace Streams.TestKit;

/// <summary>
/// Small batches of every data type a catalog can make, made by its own operators: raw types by running a sample
/// source (one that ends by itself, such as <c>synthetic</c>) into a sink that keeps a copy of the first batch,
/// richer types by passing a sample of a processor's input through that processor (EVIO, then hits, then tracks).
/// </summary>
public sealed class OperatorSamples
{
    private const int Events = 16;

    private readonly OperatorCatalog _catalog;
    private readonly Func<OperatorDescriptor, OperatorConfig> _configFor;
    private readonly IReadOnlyList<string> _sources;
    private readonly Dictionary<string, Captured?> _captured = new(StringComparer.Ordinal);

    /// <param name="catalog">The operators that make the samples.</param>
    /// <param name="configFor">How each operator is configured.</param>
    /// <param name="sources">The sources allowed to make samples (they must end within <see cref="Events"/> events).</param>
    public OperatorSamples(OperatorCatalog catalog, Func<OperatorDescriptor, OperatorConfig> configFor, IReadOnlyList<string>? sources = null)
    {
        _catalog = catalog;
        _configFor = configFor;
        _sources = sources ?? ["synthetic", "clas12-sim"];
    }

    /// <summary>The concrete types this catalog can make that an operator accepting <paramref name="accepted"/> takes (one for <see cref="DataTypes.Any"/>).</summary>
    public IReadOnlyList<string> ConcreteTypesFor(IReadOnlyList<string> accepted)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        if (accepted.Contains(DataTypes.Any)) return CanMake(DataTypes.SyntheticBytes) ? [DataTypes.SyntheticBytes] : [];
        return [.. Makeable().Where(t => DataTypes.Matches(t, accepted))];
    }

    /// <summary>A fresh batch of <paramref name="type"/> (the caller disposes it); fails the test when none can be made.</summary>
    public EventBatch Make(string type)
    {
        if (Capture(type) is { } c) return c.Rebuild();
        var maker = Makers(type).FirstOrDefault() ?? throw new InvalidOperationException($"no operator of the catalog makes {type}");
        var inputType = ConcreteTypesFor(maker.InputTypes)[0];
        using var op = (IProcessor)maker.Factory();
        op.Configure(_configFor(maker));
        var input = Make(inputType);
        var (output, thrown, _) = Process(op, input);
        if (thrown is not null) throw new InvalidOperationException($"{maker.Name} threw making a {type} sample", thrown);
        if (output is null) throw new InvalidOperationException($"{maker.Name} returned nothing for a {inputType} sample");
        if (!ReferenceEquals(output, input)) input.Dispose();
        return output;
    }

    /// <summary>A context for one batch outside a pipeline (its failures are counted, nothing else); call <see cref="ProcessContext.End"/> after.</summary>
    public static ProcessContext Context(EventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var context = new ProcessContext("contract", 0, RunLog.Null, new ErrorBook(RunLog.Null), (_, _) => { });
        context.Begin(batch);
        return context;
    }

    /// <summary>Runs <paramref name="processor"/> on <paramref name="input"/>: its output, what it threw, and how many events it failed.</summary>
    public static (EventBatch? Output, Exception? Thrown, int Failed) Process(IProcessor processor, EventBatch input)
    {
        ArgumentNullException.ThrowIfNull(processor);
        var context = Context(input);
        try
        {
            return (processor.Process(input, context), null, context.FailedCount);
        }
#pragma warning disable CA1031 // what the operator threw is the finding
        catch (Exception e)
#pragma warning restore CA1031
        {
            return (null, e, context.FailedCount);
        }
        finally
        {
            context.End();
        }
    }

    private bool CanMake(string type) => Capture(type) is not null || Makers(type).Any();

    private IEnumerable<string> Makeable()
    {
        var types = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in _catalog.All.Where(d => d.Kind == OperatorKind.Source && _sources.Contains(d.Name))) types.Add(d.OutputType);
        for (var grown = true; grown;)
        {
            grown = false;
            foreach (var d in _catalog.All.Where(d => d.Kind == OperatorKind.Processor && Concrete(d.OutputType)))
            {
                if (!types.Contains(d.OutputType) && types.Any(t => DataTypes.Matches(t, d.InputTypes)) && d.Factory() is IProcessor p)
                {
                    p.Dispose();
                    grown |= types.Add(d.OutputType);
                }
            }
        }

        return types.Where(Concrete).Order(StringComparer.Ordinal);
    }

    private IEnumerable<OperatorDescriptor> Makers(string type) =>
        _catalog.All.Where(d => d.Kind == OperatorKind.Processor && d.OutputType == type && ConcreteTypesFor(d.InputTypes).Count > 0);

    private static bool Concrete(string type) => type is not DataTypes.Any and not DataTypes.SameAsInput;

    private Captured? Capture(string type)
    {
        if (_captured.TryGetValue(type, out var known)) return known;
        Captured? found = null;
        foreach (var source in _catalog.All.Where(d => d.Kind == OperatorKind.Source && d.OutputType == type && _sources.Contains(d.Name)))
        {
            found = Run(source);
            if (found is not null) break;
        }

        return _captured[type] = found;
    }

    private Captured? Run(OperatorDescriptor source)
    {
        var copies = new List<Captured>();
        var keep = new OperatorDescriptor
        {
            Name = "contract-keep",
            Kind = OperatorKind.Sink,
            Description = "keeps a copy of the first batch",
            Factory = () => new KeepSink(copies),
        };
        var catalog = new OperatorCatalog();
        foreach (var d in _catalog.All) catalog.Add(d);
        catalog.Add(keep);
        var config = "{" + string.Join(", ", _configFor(source).Values.Select(kv => $"{kv.Key}: \"{kv.Value.Scalar}\"")) + "}";
        var yaml = $$$"""
            sources: [{name: s, operator: {{{source.Name}}}, config: {{{config}}}}]
            sinks: [{name: k, operator: contract-keep, input: s}]
            """;
        using var p = Pipeline.Create(Pipelines.Plan(yaml, catalog), new PipelineOptions { EventLimit = Events });
        p.RunAsync().WaitAsync(Pipelines.RunLimit).GetAwaiter().GetResult();
        lock (copies) return copies.FirstOrDefault();
    }

    /// <summary>A byte batch's events, copied out of the pipeline that made them.</summary>
    private sealed record Captured(string DataType, EventMeta[] Meta, byte[] Payload, int[] Lengths)
    {
        public EventBatch Rebuild() => EventBatch.FromBytes(Meta, DataType, Payload, Lengths);
    }

    private sealed class KeepSink(List<Captured> copies) : ISink
    {
        public void Configure(OperatorConfig config)
        {
        }

        public void Reset()
        {
        }

        public void Write(EventBatch batch, ProcessContext context)
        {
            if (!batch.HasBytes) return;
            var lengths = new int[batch.Count];
            var payload = new List<byte>();
            for (var i = 0; i < batch.Count; i++)
            {
                var e = batch.GetPayload(i);
                lengths[i] = e.Length;
                payload.AddRange(e);
            }

            lock (copies) copies.Add(new Captured(batch.DataType, batch.Meta.ToArray(), [.. payload], lengths));
        }

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }
}

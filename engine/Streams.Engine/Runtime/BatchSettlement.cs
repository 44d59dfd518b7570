using Streams.Engine.Batches;
using Streams.Engine.Operators;

namespace Streams.Engine.Runtime;

/// <summary>
/// How a processed batch settles, the one rule for a stage in this process (<see cref="StageRunner"/>), a stage on
/// worker processes (<see cref="RemoteStageRunner"/>) and a worker process's <see cref="OperatorHost"/>: an input
/// returned as the output passes through without the events the operator failed; any other input is disposed (its
/// events are accounted for by the output's or by their failure); and, where a stage expects an output type, an output
/// of another type is rejected, its events failed.
/// </summary>
internal static class BatchSettlement
{
    /// <summary>
    /// Settles <paramref name="input"/> against what the operator returned, and ends <paramref name="context"/>'s
    /// batch. Returns the output to pass on (null: none) and, in <paramref name="failed"/>, the events failed.
    /// </summary>
    public static EventBatch? Settle(EventBatch input, EventBatch? output, ProcessContext context, OutputTypeRule? rule, out int failed)
    {
        failed = context.FailedCount;
        if (ReferenceEquals(output, input))
        {
            if (failed > 0) input.RemoveEvents(context.FailedMask);
        }
        else
        {
            input.Dispose();
        }

        context.End();
        if (output is not null && rule is not null && output.DataType != rule.Expected)
        {
            failed += rule.Reject(output);
            output.Dispose();
            output = null;
        }

        return output;
    }
}

/// <summary>The output type a stage was planned for, and where a wrong one is reported.</summary>
internal sealed class OutputTypeRule(string expected, string operatorName, string stage, ErrorBook errors)
{
    public string Expected { get; } = expected;

    /// <summary>The rule for <paramref name="node"/>, or null when its operator may output any type.</summary>
    public static OutputTypeRule? For(Spec.PlannedNode node, ErrorBook errors) =>
        node.Kind == OperatorKind.Processor && node.Descriptor.OutputType != DataTypes.Any && node.OutputType is { } type
            ? new OutputTypeRule(type, node.Descriptor.Name, node.Name, errors)
            : null;

    /// <summary>Fails every event of <paramref name="output"/> and reports why; returns how many.</summary>
    public int Reject(EventBatch output)
    {
        for (var i = 0; i < output.Count; i++) output.MarkFailed(i);
        var message = $"operator '{operatorName}' produced '{output.DataType}' but the pipeline was planned for '{Expected}'";
        errors.Report(stage, Severity.Error, message, output.Count, output.Count > 0 ? (long)output.Meta[0].EventNumber : -1);
        return output.Count;
    }
}

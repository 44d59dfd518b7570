using Apache.Arrow;
using Streams.Engine.Batches;

namespace Streams.Engine.Tests;

/// <summary>
/// Lifetime of a batch's Arrow memory when its columns are read in place from a buffer that goes back to a pool (a
/// received ZeroMQ message): returned only when no batch, nor any batch derived from it, can read them.
/// </summary>
public class BatchMemoryTests
{
    private sealed class Lease : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }

    private static RecordBatch Records(params ulong[] values)
    {
        var column = new UInt64Array.Builder().AppendRange(values).Build();
        return new RecordBatch(new Schema.Builder().Field(f => f.Name("n").DataType(Apache.Arrow.Types.UInt64Type.Default)).Build(), [column], values.Length);
    }

    private static EventMeta[] Meta(int n) => Enumerable.Range(0, n).Select(i => new EventMeta((ulong)i, 0, 0, 0)).ToArray();

    [Fact]
    public void A_source_batch_returns_its_memory_when_disposed()
    {
        var lease = new Lease();
        var batch = EventBatch.FromSource(Meta(3), "arrow/t", Records(1, 2, 3), lease);
        Assert.Equal(0, lease.Disposals);
        batch.Dispose();
        batch.Dispose();
        Assert.Equal(1, lease.Disposals);
    }

    [Fact]
    public void A_derived_batch_keeps_its_inputs_memory_until_it_is_disposed_too()
    {
        var lease = new Lease();
        var input = EventBatch.FromSource(Meta(3), "arrow/t", Records(1, 2, 3), lease);
        var output = EventBatch.FromRecords(input, "arrow/t2", new RecordBatch(input.Records!.Schema, [input.Records.Column(0)], 3)); // shares the column
        input.Dispose();
        Assert.Equal(0, lease.Disposals);
        Assert.Equal(2UL, ((UInt64Array)output.Records!.Column(0)).GetValue(1));
        output.Dispose();
        Assert.Equal(1, lease.Disposals);
    }

    [Fact]
    public void Fan_out_copies_and_rows_removed_after_a_failure_keep_the_memory_until_the_last_is_disposed()
    {
        var lease = new Lease();
        var input = EventBatch.FromSource(Meta(3), "arrow/t", Records(1, 2, 3), lease);
        var copy = input.CloneForPath();
        input.RemoveEvents([false, true, false]);
        Assert.Equal([1UL, 3UL], ((UInt64Array)input.Records!.Column(0)).Values.ToArray());
        input.Dispose();
        Assert.Equal(0, lease.Disposals);
        copy.Dispose();
        Assert.Equal(1, lease.Disposals);
    }
}

using Apache.Arrow;

namespace Streams.Engine.Batches;

/// <summary>Row selection on Arrow record batches (Apache.Arrow for .NET has no compute kernels).</summary>
internal static class ArrowRows
{
    /// <summary>A new record batch holding rows <paramref name="rows"/> (ascending) of <paramref name="batch"/>.</summary>
    public static RecordBatch Take(RecordBatch batch, IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rows);

        // Contiguous runs of kept rows become slices; the slices of each column are concatenated.
        var runs = new List<(int Start, int Length)>();
        for (var i = 0; i < rows.Count;)
        {
            var start = rows[i];
            var len = 1;
            while (i + len < rows.Count && rows[i + len] == start + len) len++;
            runs.Add((start, len));
            i += len;
        }

        var columns = new IArrowArray[batch.ColumnCount];
        for (var c = 0; c < batch.ColumnCount; c++)
        {
            var column = batch.Column(c);
            if (runs.Count == 0)
            {
                columns[c] = ArrowArrayFactory.Slice(column, 0, 0);
                continue;
            }

            var parts = new List<IArrowArray>(runs.Count);
            foreach (var (start, len) in runs) parts.Add(ArrowArrayFactory.Slice(column, start, len));
            columns[c] = parts.Count == 1 ? parts[0] : ArrowArrayConcatenator.Concatenate(parts, ManagedArrowMemory.Allocator);
        }

        return new RecordBatch(batch.Schema, columns, rows.Count);
    }
}

using Apache.Arrow.Ipc;

namespace Streams.TestKit;

/// <summary>Reads Arrow IPC files the way a user's tool would: through the footer (a file without one fails).</summary>
public static class ArrowFiles
{
    /// <summary>The rows of every record batch in the file.</summary>
    public static long Rows(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new ArrowFileReader(stream);
        long rows = 0;
        while (reader.ReadNextRecordBatch() is { } rb)
        {
            using (rb) rows += rb.Length;
        }

        return rows;
    }
}

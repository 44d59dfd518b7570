using System.Diagnostics;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;

namespace Streams.Transports.Files;

/// <summary>
/// Writes events to an Arrow IPC file (readable by pyarrow, polars, ROOT's RDataFrame Arrow source): one record batch
/// per pipeline batch, metadata columns first. A file holds one data type; a batch of another type is failed. The file
/// is valid after any stop the process sees: a batch that could not be written is cut off again (its events fail), an
/// abort finishes the file with what it has, and a file that cannot be finished is deleted (and the failure reported).
/// </summary>
internal sealed class ArrowFileSink : IAbortableSink
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "arrow-file-sink",
        Kind = OperatorKind.Sink,
        Description = "Writes events to an Arrow IPC file (metadata columns + raw payload or the Arrow payload columns).",
        MaxWorkers = 1,
        Parameters =
        [
            new("path", ParameterType.String, null, "File to write (created or replaced; parent folders are created)."),
        ],
        Factory = () => new ArrowFileSink(),
    };

    private readonly Lock _gate = new(); // Write, Flush and Abort (which comes from another thread) take turns
    private string _path = "";
    private StagedFileStream? _stream;
    private ArrowFileWriter? _writer;
    private Schema? _schema;
    private string? _dataType;
    private string? _closedBecause;

    public long EventsWritten { get; private set; }

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _path = config.GetString("path");
        if (string.IsNullOrWhiteSpace(_path)) throw new ConfigException($"stage '{config.StageName}': 'path' is required");
        OutputCheck.FileCanBeWritten(config, "path", _path);
    }

    public void Reset()
    {
        lock (_gate)
        {
            CloseFile();
            _closedBecause = null;
        }
    }

    /// <summary>
    /// Appends the batch as one record batch. Each batch reaches the file whole or not at all: when the write fails
    /// (disk full, say) the file is cut back to the previous batch and the exception fails this batch's events.
    /// </summary>
    public void Write(EventBatch batch, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        if (batch.Count == 0) return;
        lock (_gate)
        {
            if (_closedBecause is not null) throw new InvalidOperationException($"'{_path}' is closed: {_closedBecause}");
            if (_dataType is not null && batch.DataType != _dataType)
            {
                for (var i = 0; i < batch.Count; i++) context.Fail(i, $"'{_path}' holds '{_dataType}' events; cannot append '{batch.DataType}'");
                return;
            }

            using var record = ToRecordBatch(batch);
            if (_writer is null) Open(batch.DataType, record.Schema);
            _writer!.WriteRecordBatch(record);
            _stream!.Commit();
            EventsWritten += batch.Count;
        }
    }

    /// <summary>Writes the footer and closes the file; a file that cannot be finished is deleted and the failure thrown.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_writer is null) return;
            Finish("flushed");
        }
    }

    /// <summary>Finishes the file with the batches written so far (a second Ctrl+C); later writes fail.</summary>
    public string Abort()
    {
        if (!_gate.TryEnter(TimeSpan.FromSeconds(5))) return $"'{_path}' was still being written after 5 s and may be unreadable";
        try
        {
            if (_writer is null)
            {
                _closedBecause = "the run was aborted";
                return $"'{_path}': nothing written";
            }

            var events = EventsWritten;
            Finish("the run was aborted");
            return $"'{_path}' closed after abort: readable, {events} events";
        }
        finally
        {
            _gate.Exit();
        }
    }

    private void Open(string dataType, Schema schema)
    {
        _dataType = dataType;
        _schema = schema;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        _stream = new StagedFileStream(_path);
        _writer = new ArrowFileWriter(_stream, _schema, leaveOpen: true);
        try
        {
            _writer.WriteStart();
            _stream.Commit();
        }
        catch
        {
            CloseFile();
            TryDelete();
            throw;
        }
    }

    private void Finish(string why)
    {
        try
        {
            _writer!.WriteEnd();
            _stream!.Commit(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var lost = EventsWritten;
            CloseFile();
            _closedBecause = why;
            var deleted = TryDelete() ? "the partial file was deleted" : "the partial file could not be deleted and is unreadable";
            throw new IOException($"could not finish '{_path}' ({e.Message}): {deleted}; the {lost} events written to it are lost", e);
        }

        CloseFile();
        _closedBecause = why;
    }

    private bool TryDelete()
    {
        try
        {
            File.Delete(_path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Metadata columns followed by the payload (raw bytes, or the batch's own Arrow columns).</summary>
    internal static RecordBatch ToRecordBatch(EventBatch batch)
    {
        var n = batch.Count;
        var num = new UInt64Array.Builder().Reserve(n);
        var id = new UInt16Array.Builder().Reserve(n);
        var tick = new UInt64Array.Builder().Reserve(n);
        var arrival = new Int64Array.Builder().Reserve(n);
        var toNs = 1e9 / Stopwatch.Frequency;
        foreach (var m in batch.Meta)
        {
            num.Append(m.EventNumber);
            id.Append(m.DataId);
            tick.Append(m.Tick);
            arrival.Append((long)(m.ArrivalTimestamp * toNs));
        }

        var fields = new List<Field>(EventColumns.MetaFields);
        var arrays = new List<IArrowArray> { num.Build(), id.Build(), tick.Build(), arrival.Build() };
        if (batch.HasBytes)
        {
            var payload = new BinaryArray.Builder().Reserve(n);
            for (var i = 0; i < n; i++) payload.Append(batch.GetPayload(i));
            fields.Add(new Field(EventColumns.Payload, BinaryType.Default, false));
            arrays.Add(payload.Build());
        }
        else
        {
            var records = batch.Records!;
            for (var c = 0; c < records.ColumnCount; c++)
            {
                fields.Add(records.Schema.GetFieldByIndex(c));
                arrays.Add(records.Column(c));
            }
        }

        var metadata = new Dictionary<string, string> { [EventColumns.DataTypeKey] = batch.DataType };
        var schema = new Schema(fields, metadata);
        return new RecordBatch(schema, arrays, n);
    }

    private void CloseFile()
    {
        try
        {
            _writer?.Dispose();
        }
        catch (IOException)
        {
            // the writer's own flush of nothing; the stream below is what matters
        }

        _stream?.Dispose();
        _writer = null;
        _stream = null;
        _schema = null;
        _dataType = null;
    }

    public void Dispose()
    {
        lock (_gate) CloseFile();
    }
}

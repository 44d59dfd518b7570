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
/// per pipeline batch, metadata columns first. A file holds one data type; a batch of another type is failed.
/// </summary>
public sealed class ArrowFileSink : ISink
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

    private string _path = "";
    private FileStream? _stream;
    private ArrowFileWriter? _writer;
    private Schema? _schema;
    private string? _dataType;

    public long EventsWritten { get; private set; }

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _path = config.GetString("path");
        if (string.IsNullOrWhiteSpace(_path)) throw new ConfigException($"stage '{config.StageName}': 'path' is required");
        var dir = Path.GetDirectoryName(Path.GetFullPath(_path));
        if (dir is not null && File.Exists(dir)) throw new ConfigException($"stage '{config.StageName}': cannot write '{_path}': '{dir}' is a file");
    }

    public void Reset() => CloseFile();

    public void Write(EventBatch batch, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        if (batch.Count == 0) return;
        if (_dataType is not null && batch.DataType != _dataType)
        {
            for (var i = 0; i < batch.Count; i++) context.Fail(i, $"'{_path}' holds '{_dataType}' events; cannot append '{batch.DataType}'");
            return;
        }

        using var record = ToRecordBatch(batch);
        if (_writer is null)
        {
            _dataType = batch.DataType;
            _schema = record.Schema;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
            _stream = new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
            _writer = new ArrowFileWriter(_stream, _schema, leaveOpen: true);
            _writer.WriteStart();
        }

        _writer.WriteRecordBatch(record);
        EventsWritten += batch.Count;
    }

    public void Flush()
    {
        if (_writer is null) return;
        _writer.WriteEnd();
        _stream!.Flush(flushToDisk: true);
        CloseFile();
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
        _writer?.Dispose();
        _stream?.Dispose();
        _writer = null;
        _stream = null;
        _schema = null;
        _dataType = null;
    }

    public void Dispose() => CloseFile();
}

using Apache.Arrow;
using Apache.Arrow.Ipc;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;

namespace Streams.Transports.Files;

/// <summary>
/// Replays an Arrow IPC file written by <see cref="ArrowFileSink"/> (or any file with the same columns): events keep
/// their number, data id and tick; raw payloads come back as bytes, other columns as an Arrow payload.
/// </summary>
internal sealed class ArrowFileSource : ISource
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "arrow-file-source",
        Kind = OperatorKind.Source,
        Description = "Replays events from an Arrow IPC file written by arrow-file-sink.",
        OutputType = DataTypes.Any,
        ResolveOutputType = ReadDataType,
        Parameters =
        [
            new("path", ParameterType.String, null, "Arrow IPC file to read."),
            new("repeat", ParameterType.Int, "1", "Times to replay the file (0: until the run stops).") { Min = 0 },
        ],
        Factory = () => new ArrowFileSource(),
    };

    private string _path = "";
    private int _repeat;

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _path = config.GetString("path");
        _repeat = config.GetInt("repeat");
        if (string.IsNullOrWhiteSpace(_path)) throw new ConfigException($"stage '{config.StageName}': 'path' is required");
        if (!File.Exists(_path)) throw new ConfigException($"stage '{config.StageName}': file '{_path}' not found", config.Values.GetValueOrDefault("path")?.Location);
        try
        {
            using var stream = File.OpenRead(_path);
            using var reader = new ArrowFileReader(stream);
            var schema = reader.Schema;
            if (schema.GetFieldIndex(EventColumns.EventNumber) < 0)
            {
                throw new ConfigException($"stage '{config.StageName}': '{_path}' has no '{EventColumns.EventNumber}' column; not a Streams event file");
            }
        }
        catch (Exception e) when (e is not ConfigException)
        {
            throw new ConfigException($"stage '{config.StageName}': '{_path}' is not a readable Arrow IPC file: {e.Message}");
        }
    }

    public void Reset()
    {
    }

    public async Task RunAsync(SourceContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (var pass = 0; (_repeat == 0 || pass < _repeat) && !cancellationToken.IsCancellationRequested; pass++)
        {
            using var stream = File.OpenRead(_path);
            using var reader = new ArrowFileReader(stream, ManagedArrowMemory.Allocator);
            var dataType = reader.Schema.Metadata?.GetValueOrDefault(EventColumns.DataTypeKey) ?? "arrow/unknown";
            while (!cancellationToken.IsCancellationRequested)
            {
                var record = await reader.ReadNextRecordBatchAsync(cancellationToken).ConfigureAwait(false);
                if (record is null) break;
                var granted = context.TryReserve(record.Length);
                if (granted == 0)
                {
                    record.Dispose();
                    return;
                }

                await context.EmitAsync(ToEventBatch(record, granted, dataType)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The first <paramref name="rows"/> rows of a file record batch as an event batch. Takes ownership of
    /// <paramref name="record"/>: raw payloads are copied out and it is disposed; Arrow payloads keep its buffers.
    /// </summary>
    internal static EventBatch ToEventBatch(RecordBatch record, int rows, string dataType)
    {
        var num = (UInt64Array)record.Column(EventColumns.EventNumber);
        var id = record.Schema.GetFieldIndex(EventColumns.DataId) >= 0 ? (UInt16Array)record.Column(EventColumns.DataId) : null;
        var tick = record.Schema.GetFieldIndex(EventColumns.Tick) >= 0 ? (UInt64Array)record.Column(EventColumns.Tick) : null;
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        EventMeta Meta(int i) => new(num.GetValue(i) ?? 0, id?.GetValue(i) ?? 0, tick?.GetValue(i) ?? 0, now);

        var payloadIndex = record.Schema.GetFieldIndex(EventColumns.Payload);
        if (payloadIndex >= 0)
        {
            var payload = (BinaryArray)record.Column(payloadIndex);
            using var builder = new EventBatchBuilder(rows, 1 << 16);
            for (var i = 0; i < rows; i++) builder.Add(Meta(i), payload.GetBytes(i));
            record.Dispose();
            return builder.Build(dataType);
        }

        var fields = new List<Field>();
        var arrays = new List<IArrowArray>();
        for (var c = 0; c < record.ColumnCount; c++)
        {
            var f = record.Schema.GetFieldByIndex(c);
            if (EventColumns.IsMetaColumn(f.Name)) continue;
            fields.Add(f);
            arrays.Add(rows == record.Length ? record.Column(c) : ArrowArrayFactory.Slice(record.Column(c), 0, rows));
        }

        var meta = new EventMeta[rows];
        for (var i = 0; i < rows; i++) meta[i] = Meta(i);
        return EventBatch.FromSource(meta, dataType, new RecordBatch(new Schema(fields, null), arrays, rows));
    }

    private static string ReadDataType(OperatorConfig config)
    {
        try
        {
            using var stream = File.OpenRead(config.GetString("path"));
            using var reader = new ArrowFileReader(stream);
            return reader.Schema.Metadata?.GetValueOrDefault(EventColumns.DataTypeKey) ?? DataTypes.Any;
        }
        catch (Exception)
        {
            return DataTypes.Any; // Configure reports what is wrong with the file
        }
    }

    public void Dispose()
    {
    }
}

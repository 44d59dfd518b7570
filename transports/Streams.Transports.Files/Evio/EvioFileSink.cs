using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Formats.Evio;

namespace Streams.Transports.Files.Evio;

/// <summary>
/// The <c>evio-file-sink</c>: writes each event's payload (a whole EVIO bank) as a top-level event of an EVIO 6 file:
/// file header, records with their index (optionally LZ4), and a trailer with the record index. The file's byte order
/// is the first event's (or set); an event in the other order, or not a whole bank, fails alone. Each batch ends its
/// last record (a batch of more than <c>events-per-record</c> events makes several), so what the engine counts as
/// written is in the file. The file is valid after any stop: it is finished (trailer, patched header) when the
/// pipeline drains, on abort, and on dispose; a killed process leaves its whole records readable (without trailer).
/// </summary>
internal sealed class EvioFileSink : IAbortableSink
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "evio-file-sink",
        Kind = OperatorKind.Sink,
        Description = "Writes event payloads (EVIO banks) to an EVIO 6 file: records with index, optional LZ4, trailer with index.",
        InputTypes = ["evio/*", "binary/ejfat"],
        MaxWorkers = 1,
        Parameters =
        [
            new("path", ParameterType.String, null, "File to write (created or replaced; parent folders are created)."),
            new("compress", ParameterType.String, "none", "Record compression.") { Choices = ["none", "lz4", "lz4-best", "gzip"] },
            new("events-per-record", ParameterType.Int, "1000", "Most events in one record (each batch ends a record).") { Min = 1, Max = 1_000_000 },
            new("byte-order", ParameterType.String, "auto", "Byte order of the file: that of the first event, or big / little.") { Choices = ["auto", "big", "little"] },
        ],
        Factory = () => new EvioFileSink(),
    };

    private readonly Lock _gate = new(); // Write, Flush and Abort (from another thread) take turns
    private string _path = "";
    private EvioCompression _compression;
    private int _perRecord;
    private bool? _bigEndian;
    private bool? _configuredOrder;
    private EvioWriter? _writer;
    private string? _closedBecause;

    public long EventsWritten { get; private set; }

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _path = config.GetString("path");
        if (string.IsNullOrWhiteSpace(_path)) throw new ConfigException($"stage '{config.StageName}': 'path' is required");
        OutputCheck.FileCanBeWritten(config, "path", _path);
        _compression = config.GetString("compress") switch
        {
            "lz4" => EvioCompression.Lz4,
            "lz4-best" => EvioCompression.Lz4Best,
            "gzip" => EvioCompression.Gzip,
            _ => EvioCompression.None,
        };
        _perRecord = config.GetInt("events-per-record");
        _configuredOrder = config.GetString("byte-order") switch { "big" => true, "little" => false, _ => null };
    }

    public void Reset()
    {
        lock (_gate)
        {
            Close();
            _closedBecause = null;
        }
    }

    /// <summary>Appends the batch's events; events that are not whole banks in the file's byte order fail alone.</summary>
    public void Write(EventBatch batch, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        if (batch.Count == 0) return;
        if (!batch.HasBytes)
        {
            for (var i = 0; i < batch.Count; i++) context.Fail(i, $"'{batch.DataType}' events carry Arrow columns, not EVIO banks");
            return;
        }

        lock (_gate)
        {
            if (_closedBecause is not null) throw new InvalidOperationException($"'{_path}' is closed: {_closedBecause}");
            for (var i = 0; i < batch.Count; i++)
            {
                var bank = batch.GetPayload(i);
                var order = EvioNode.BankByteOrder(bank);
                if (order is not { } bigEndian)
                {
                    context.Fail(i, $"event of {bank.Length} bytes is not a whole EVIO bank (its length word does not match)");
                    continue;
                }

                _writer ??= Open(_configuredOrder ?? bigEndian);
                if (bigEndian != _bigEndian)
                {
                    context.Fail(i, $"event is {(bigEndian ? "big" : "little")}-endian; '{_path}' is {(bigEndian ? "little" : "big")}-endian");
                    continue;
                }

                _writer.WriteEvent(bank);
                EventsWritten++;
            }

            try
            {
                _writer?.Flush(); // the batch's last record: what the engine counts as written is in the file
            }
            catch (IOException e)
            {
                _closedBecause = $"a write failed ({e.Message})";
                TryClose();
                throw new IOException($"could not write to '{_path}': {e.Message}; the file holds the records written before", e);
            }
        }
    }

    private void TryClose()
    {
        try
        {
            Close();
        }
        catch (IOException)
        {
            // the device refused the trailer too: the records before stay readable
        }
    }

    /// <summary>Writes the last record and the trailer, and closes the file.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_writer is null) return;
            Close();
            _closedBecause = "flushed";
        }
    }

    /// <summary>Finishes the file with the events written so far; later writes fail.</summary>
    public string Abort()
    {
        if (!_gate.TryEnter(TimeSpan.FromSeconds(5))) return $"'{_path}' was still being written after 5 s; its whole records are readable";
        try
        {
            var events = EventsWritten;
            var had = _writer is not null;
            Close();
            _closedBecause = "the run was aborted";
            return had ? $"'{_path}' closed after abort: readable, {events} events" : $"'{_path}': nothing written";
        }
        finally
        {
            _gate.Exit();
        }
    }

    private EvioWriter Open(bool bigEndian)
    {
        _bigEndian = bigEndian;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        return EvioWriter.Create(_path, new EvioWriterOptions { Compression = _compression, MaxEventsPerRecord = _perRecord, BigEndian = bigEndian });
    }

    private void Close()
    {
        var writer = _writer;
        _writer = null;
        _bigEndian = null;
        writer?.Dispose();
    }

    public void Dispose()
    {
        lock (_gate) Close();
    }
}

using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Formats.Hipo;
using Streams.Operators.Clas12.Calorimeter;
using Streams.Operators.Clas12.Decoding;
using Streams.Operators.Clas12.Tracking;

namespace Streams.Operators.Clas12.Hipo;

/// <summary>
/// The <c>hipo-file-sink</c>: writes events as a HIPO 4 file (the CLAS12 format coatjava and gavalian/hipo read): the
/// dictionary record, LZ4 records of <c>events-per-record</c> events, and at the end the <c>file::index</c> record.
/// Reconstructed events become the real CLAS12 banks (<see cref="RecoBanks"/>); events read by hipo-file-source
/// (<c>arrow/hipo</c>) are written back bank by bank. The file is finished (index record, header patched) when the run
/// ends, stops or is aborted; a process killed outright leaves whole records without the index, which a reader finds by
/// scanning (our HipoReader does). A write that fails closes the file: it is finished when it can be, else deleted.
/// </summary>
internal sealed class HipoFileSink : IAbortableSink
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "hipo-file-sink",
        Kind = OperatorKind.Sink,
        Description = "Writes events to a HIPO 4 file: reconstructed CLAS12 events as REC::Particle, REC::Track, REC::Event, DC::tdc ... banks; hipo-file-source events bank by bank.",
        InputTypes = [HitColumns.DataType, TrackColumns.DataType, EcOperator.DataType, HipoBankColumns.DataType],
        MaxWorkers = 1,
        Parameters =
        [
            new("path", ParameterType.String, null, "File to write (created or replaced; parent folders are created)."),
            new("events-per-record", ParameterType.Int, "1000", "Events per HIPO record (the unit of compression and of random access).") { Min = 1, Max = 1_000_000 },
            new("compress", ParameterType.Bool, "true", "LZ4-compress the records."),
            new("raw-hits", ParameterType.Bool, "true", "Also write the raw hits (DC::tdc, ECAL::adc) and the simulated truth (MC::Particle) of reconstructed events."),
            new("run", ParameterType.Int, "11", "Run number written to RUN::config (reconstructed events).") { Min = 0 },
        ],
        Factory = () => new HipoFileSink(),
    };

    private readonly Lock _gate = new(); // Write, Flush and Abort (which comes from another thread) take turns
    private readonly HipoEventBuilder _event = new();
    private string _path = "";
    private int _eventsPerRecord;
    private bool _compress;
    private int _run;
    private bool _rawHits;
    private HipoWriter? _writer;
    private string? _dataType;
    private List<Formats.Hipo.Schema>? _banks; // arrow/hipo input: the banks the batches carry
    private string? _closedBecause;

    public long EventsWritten { get; private set; }

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _path = config.GetString("path");
        if (string.IsNullOrWhiteSpace(_path)) throw new ConfigException($"stage '{config.StageName}': 'path' is required");
        OutputCheck.FileCanBeWritten(config, "path", _path);
        _eventsPerRecord = config.GetInt("events-per-record");
        _compress = config.GetBool("compress");
        _run = config.GetInt("run");
        _rawHits = config.GetBool("raw-hits");
    }

    public void Reset()
    {
        lock (_gate)
        {
            Close();
            _closedBecause = null;
        }
    }

    /// <summary>Adds each event of the batch; a batch of another data type than the file's first is failed.</summary>
    public void Write(EventBatch batch, ProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        if (batch.Count == 0) return;
        var records = batch.Records ?? throw new InvalidOperationException($"hipo-file-sink needs an Arrow payload; got '{batch.DataType}' bytes");
        lock (_gate)
        {
            if (_closedBecause is not null) throw new InvalidOperationException($"'{_path}' is closed: {_closedBecause}");
            var generic = batch.DataType == HipoBankColumns.DataType;
            if (_dataType is not null && generic != (_dataType == HipoBankColumns.DataType))
            {
                for (var i = 0; i < batch.Count; i++) context.Fail(i, $"'{_path}' holds '{_dataType}' events; cannot append '{batch.DataType}'");
                return;
            }

            if (_writer is null) Open(batch.DataType, generic ? HipoBankColumns.SchemasOf(records) : null);
            var unixTime = (int)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var meta = batch.Meta;
            var columns = generic ? HipoBankColumns.Columns(records, _banks!) : null;
            try
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    _event.Clear();
                    if (columns is not null) HipoBankColumns.AddBanks(columns, _banks!, i, _event);
                    else RecoBanks.Add(records, i, meta[i].EventNumber, _run, unixTime, _rawHits, _event);
                    _writer!.AddEvent(_event);
                    EventsWritten++;
                }
            }
            catch (IOException e)
            {
                Broken(e);
                throw;
            }
        }
    }

    /// <summary>Writes the last record and the index record and closes the file.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_writer is null) return;
            Finish("flushed");
        }
    }

    /// <summary>Finishes the file with the events added so far (a second Ctrl+C); later writes fail.</summary>
    public string Abort()
    {
        if (!_gate.TryEnter(TimeSpan.FromSeconds(5))) return $"'{_path}' was still being written after 5 s and may lack its index record";
        try
        {
            if (_writer is null)
            {
                var before = _closedBecause;
                _closedBecause ??= "the run was aborted";
                return before is null ? $"'{_path}': nothing written" : $"'{_path}' already closed ({before}): {EventsWritten} events";
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

    private void Open(string dataType, List<Formats.Hipo.Schema>? banks)
    {
        if (banks is { Count: 0 }) throw new InvalidOperationException("the batch carries no HIPO bank columns (hipo.schema field metadata)");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        var schemas = banks is null ? RecoBanks.Dictionary() : new SchemaDictionary(banks);
        _writer = HipoWriter.Create(_path, schemas, new HipoWriterOptions { MaxEventsPerRecord = _eventsPerRecord, Compress = _compress });
        _dataType = dataType;
        _banks = banks;
    }

    private void Finish(string why)
    {
        try
        {
            _writer!.Close();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var lost = EventsWritten;
            Broken(e);
            throw new IOException($"could not finish '{_path}' ({e.Message}); the {lost} events written to it are lost", e);
        }

        _writer = null;
        _closedBecause = why;
    }

    /// <summary>After a failed write: the file cannot be trusted; it is deleted and later writes fail.</summary>
    private void Broken(Exception e)
    {
        try
        {
            _writer?.Dispose();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // the write that failed already said what is wrong
        }

        _writer = null;
        _closedBecause = $"a write failed ({e.Message})";
        try
        {
            File.Delete(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // reported by the caller's exception
        }
    }

    private void Close()
    {
        try
        {
            _writer?.Close();
        }
        catch (IOException)
        {
            // Reset or Dispose after a failure: nothing more to save
        }

        _writer = null;
        _dataType = null;
        _banks = null;
    }

    public void Dispose()
    {
        lock (_gate) Close();
    }
}

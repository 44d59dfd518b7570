using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Formats.Evio;

namespace Streams.Transports.Files.Evio;

/// <summary>
/// The <c>evio-file-source</c>: reads EVIO 4 and 6 files (a path, a list, globs; in order). Each top-level event is one
/// Streams event: its payload is the event's bank as it is in the file (header included, file byte order), its data id
/// the bank's tag, its event number a running index over all files (or the bank's num). Uncompressed files are mapped
/// and read in place; <c>follow: true</c> reads a file that is still being written, record by record as each is whole
/// on disk, until its trailer or a quiet timeout. A malformed file is reported in one line with the byte offset,
/// counted, and the run goes on with the next file. Missing inputs stop the run before it starts (<see cref="Open"/>).
/// </summary>
internal sealed class EvioFileSource : IOpeningSource
{
    /// <summary>The default data type of the events: an EVIO bank of unspecified content.</summary>
    public const string BankType = "evio/bank";

    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "evio-file-source",
        Kind = OperatorKind.Source,
        Description = "Reads EVIO 4/6 files (paths or globs, in order): one event per top-level bank, tag as data id; follow mode for files CODA is writing.",
        OutputType = BankType,
        ResolveOutputType = c => c.GetString("data-type"),
        Parameters =
        [
            new("path", ParameterType.String, "", "EVIO file or glob (*, ? in the file name) to read."),
            new("paths", ParameterType.List, null, "More files or globs, read after 'path', in order."),
            new("follow", ParameterType.Bool, "false", "Keep reading a file that is still being written, until its trailer or 'quiet-timeout'."),
            new("poll-ms", ParameterType.Int, "200", "Follow mode: how often to look for new records (ms).") { Min = 1, Max = 60_000 },
            new("quiet-timeout", ParameterType.Double, "10", "Follow mode: a file without new records for this long (s) is done.") { Min = 0 },
            new("event-number", ParameterType.String, "index", "Event number: a running index over all files, or the bank's num.") { Choices = ["index", "num"] },
            new("data-type", ParameterType.String, BankType, "Data type of the events (evio/clas12 for clas12-decode, evio/coda for coda-decode)."),
            new("batch-size", ParameterType.Int, "64", "Events per batch.") { Min = 1, Max = 65536 },
        ],
        Factory = () => new EvioFileSource(),
    };

    private readonly List<string> _patterns = [];
    private string _stage = "";
    private string _dataType = BankType;
    private bool _follow;
    private bool _useNum;
    private TimeSpan _poll;
    private TimeSpan _quiet;
    private int _batchSize;
    private long _files;
    private long _events;
    private readonly List<string> _malformed = [];

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _stage = config.StageName;
        _patterns.Clear();
        if (!string.IsNullOrWhiteSpace(config.GetString("path"))) _patterns.Add(config.GetString("path"));
        _patterns.AddRange(config.GetList("paths"));
        if (_patterns.Count == 0) throw new ConfigException($"stage '{_stage}': 'path' or 'paths' is required");
        _follow = config.GetBool("follow");
        _poll = TimeSpan.FromMilliseconds(config.GetInt("poll-ms"));
        _quiet = TimeSpan.FromSeconds(config.GetDouble("quiet-timeout"));
        _useNum = config.GetString("event-number") == "num";
        _dataType = config.GetString("data-type");
        _batchSize = config.GetInt("batch-size");
    }

    public void Reset()
    {
        _files = 0;
        _events = 0;
        lock (_malformed) _malformed.Clear();
    }

    /// <summary>
    /// Checks that every path or glob names at least one file. Done when the run opens its sources, not when the file is
    /// validated, so that a pipeline can be checked before the step that writes its input has run.
    /// </summary>
    public void Open(SourceContext context)
    {
        foreach (var p in _patterns)
        {
            if (EvioFiles.Expand(p).Count == 0) throw new FileNotFoundException($"stage '{_stage}': no EVIO file matches '{p}'", p);
        }
    }

    public async Task RunAsync(SourceContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var malformed = context.Metrics.Counter("streams_evio_file_source_malformed_files_total", "EVIO files given up at a format error.");
        var eventsRead = context.Metrics.Counter("streams_evio_file_source_events_total", "Events read from EVIO files.");
        context.AddSummarySection("evio-file-source", Summary);
        using var batch = new Batcher(context, _batchSize, _dataType);
        foreach (var path in _patterns.SelectMany(EvioFiles.Expand))
        {
            if (cancellationToken.IsCancellationRequested || batch.Stopped) break;
            Interlocked.Increment(ref _files);
            var before = batch.Added;
            try
            {
                if (_follow) await FollowAsync(path, batch, context, cancellationToken).ConfigureAwait(false);
                else await ReadMappedAsync(path, batch, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is EvioFormatException or IOException or UnauthorizedAccessException)
            {
                var line = e is EvioFormatException f
                    ? $"'{path}': malformed EVIO at byte {f.Offset}{(f.DecompressedOffset >= 0 ? $" (byte {f.DecompressedOffset} of the inflated record)" : "")}: {f.Message}; going on with the next file"
                    : $"'{path}': {e.Message}; going on with the next file";
                context.Log.Error(context.StageName, line);
                malformed.Inc();
                lock (_malformed) _malformed.Add(line);
            }

            eventsRead.Inc(batch.Added - before);
        }

        await batch.EmitAsync().ConfigureAwait(false);
        Interlocked.Exchange(ref _events, batch.Added);
    }

    private object Summary()
    {
        lock (_malformed) return new { files = Interlocked.Read(ref _files), events = Interlocked.Read(ref _events), malformed = _malformed.ToArray() };
    }

    private async Task ReadMappedAsync(string path, Batcher batch, CancellationToken cancellationToken)
    {
        if (new FileInfo(path).Length >= int.MaxValue)
        {
            await ReadRecordsAsync(path, batch, null, cancellationToken).ConfigureAwait(false); // past what a mapping can hold
            return;
        }

        using var file = EvioFile.Open(path);
        foreach (var ev in file.Events)
        {
            if (cancellationToken.IsCancellationRequested || batch.Stopped) return;
            if (!await batch.AddAsync(ev.Root, _useNum).ConfigureAwait(false)) return;
        }
    }

    private Task FollowAsync(string path, Batcher batch, SourceContext context, CancellationToken cancellationToken) =>
        ReadRecordsAsync(path, batch, context, cancellationToken);

    /// <summary>Reads record by record; with a context (follow mode) waits for records still being written.</summary>
    private async Task ReadRecordsAsync(string path, Batcher batch, SourceContext? follow, CancellationToken cancellationToken)
    {
        using var tail = new EvioRecordTail(path);
        var lastProgress = follow?.Time.GetTimestamp() ?? 0;
        while (!cancellationToken.IsCancellationRequested && !batch.Stopped)
        {
            var record = tail.TryReadRecord(out var offset);
            if (record is { } r)
            {
                EvioReader reader;
                try
                {
                    reader = new EvioReader(r);
                    foreach (var ev in reader.Events)
                    {
                        if (!await batch.AddAsync(ev.Root, _useNum).ConfigureAwait(false)) return;
                    }
                }
                catch (EvioFormatException e)
                {
                    throw new EvioFormatException($"in the record at byte {offset}: {e.Message}", offset + Math.Max(0, e.Offset), -1, e);
                }

                if (follow is not null) lastProgress = follow.Time.GetTimestamp();
                continue;
            }

            if (tail.Ended) return;
            if (follow is null)
            {
                var length = new FileInfo(path).Length;
                if (length > tail.Position) throw new EvioFormatException($"the file ends inside the record at byte {tail.Position} ({length - tail.Position} bytes of it present)", length);
                return; // a file without trailer, ended on a record boundary
            }

            await batch.EmitAsync().ConfigureAwait(false); // what is read goes on while waiting for more
            if (follow.Time.GetElapsedTime(lastProgress) >= _quiet)
            {
                follow.Log.Info(follow.StageName, $"'{path}': nothing new for {_quiet.TotalSeconds:0.###} s at byte {tail.Position}; done with it");
                return;
            }

            await Task.Delay(_poll, follow.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
    }

    /// <summary>Fills batches up to what the run grants, emitting each when full.</summary>
    private sealed class Batcher(SourceContext context, int batchSize, string dataType) : IDisposable
    {
        private readonly EventBatchBuilder _builder = new(batchSize, 1 << 20);
        private int _granted;

        public long Added { get; private set; }

        public bool Stopped { get; private set; }

        /// <summary>Adds one event; false when the run wants no more.</summary>
        public async ValueTask<bool> AddAsync(EvioNode root, bool useNum)
        {
            if (_builder.Count == _granted)
            {
                await EmitAsync().ConfigureAwait(false);
                _granted = context.TryReserve(batchSize);
                if (_granted == 0)
                {
                    Stopped = true;
                    return false;
                }
            }

            var index = (ulong)Added;
            var meta = new EventMeta(useNum ? root.Num : index, (ushort)root.Tag, index, System.Diagnostics.Stopwatch.GetTimestamp());
            _builder.Add(meta, root.Span);
            Added++;
            return true;
        }

        public async ValueTask EmitAsync()
        {
            if (_builder.Count == 0) return;
            _granted -= _builder.Count;
            await context.EmitAsync(_builder.Build(dataType)).ConfigureAwait(false);
        }

        public void Dispose() => _builder.Dispose();
    }
}

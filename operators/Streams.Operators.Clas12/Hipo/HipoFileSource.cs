using Apache.Arrow;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Formats.Hipo;
using HipoSchema = Streams.Formats.Hipo.Schema;

namespace Streams.Operators.Clas12.Hipo;

/// <summary>
/// The <c>hipo-file-source</c>: reads HIPO 4 files (a path, or a glob in the file name such as <c>dst/run*.hipo</c>, in
/// name order) and emits one event per HIPO event, its banks as list columns (<see cref="HipoBankColumns"/>). The event
/// number is RUN::config's <c>event</c> when the event has that bank, else the event's index over all files read. A
/// malformed file is reported in one line with the byte offset, counted in the run summary
/// (<c>hipo-file-source</c> section) and skipped (events before the fault have been emitted); the run goes on.
/// </summary>
internal sealed class HipoFileSource : ISource
{
    public static OperatorDescriptor Descriptor { get; } = new()
    {
        Name = "hipo-file-source",
        Kind = OperatorKind.Source,
        Description = "Reads HIPO 4 files (CLAS12 DSTs): one event per HIPO event, banks as BANK.entry list columns.",
        OutputType = HipoBankColumns.DataType,
        Parameters =
        [
            new("path", ParameterType.String, null, "HIPO file, or a glob in the file name (run*.hipo): files in name order, matched when the run starts."),
            new("banks", ParameterType.List, "", "Banks to emit, e.g. [REC::Particle, REC::Track] (empty: every bank of the dictionary)."),
            new("batch-size", ParameterType.Int, "256", "Events per batch.") { Min = 1, Max = 65536 },
            new("repeat", ParameterType.Int, "1", "Times to read the files (0: until the run stops).") { Min = 0 },
        ],
        Factory = () => new HipoFileSource(),
    };

    private readonly Lock _statsGate = new();
    private readonly List<string> _problems = [];
    private string _path = "";
    private IReadOnlyList<string> _banks = [];
    private int _batchSize;
    private int _repeat;
    private long _filesRead;
    private long _eventsRead;

    public void Configure(OperatorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var path = config.GetString("path");
        if (string.IsNullOrWhiteSpace(path)) throw new ConfigException($"stage '{config.StageName}': 'path' is required");
        _path = path; // matched when the run starts: a pipeline may read what an earlier run writes
        _banks = [.. config.GetList("banks").Where(b => !string.IsNullOrWhiteSpace(b))];
        _batchSize = config.GetInt("batch-size");
        _repeat = config.GetInt("repeat");
    }

    /// <summary>The files <paramref name="path"/> names: itself, or the matches of a glob in its file name, in ordinal order.</summary>
    internal static IReadOnlyList<string> Expand(string path)
    {
        var name = Path.GetFileName(path);
        if (name.IndexOfAny(['*', '?']) < 0) return File.Exists(path) ? [path] : [];
        var dir = Path.GetDirectoryName(path);
        dir = string.IsNullOrEmpty(dir) ? "." : dir;
        if (!Directory.Exists(dir)) return [];
        var found = Directory.GetFiles(dir, name);
        System.Array.Sort(found, StringComparer.Ordinal);
        return found;
    }

    public void Reset()
    {
        lock (_statsGate)
        {
            _problems.Clear();
            _filesRead = 0;
            _eventsRead = 0;
        }
    }

    public async Task RunAsync(SourceContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var files = Expand(_path);
        if (files.Count == 0) throw new FileNotFoundException($"hipo-file-source: no file matches '{_path}' (relative paths start at the working folder {Environment.CurrentDirectory})");
        context.AddSummarySection("hipo-file-source", Summary);
        long index = 0;
        for (var pass = 0; (_repeat == 0 || pass < _repeat) && !cancellationToken.IsCancellationRequested; pass++)
        {
            foreach (var file in files)
            {
                if (cancellationToken.IsCancellationRequested) return;
                var (stop, read) = await ReadFileAsync(file, index, context, cancellationToken).ConfigureAwait(false);
                index += read;
                if (stop) return;
            }
        }
    }

    /// <summary>Emits the events of one file; stop: the run's budget is spent. A malformed file is reported and skipped.</summary>
    private async Task<(bool Stop, long Read)> ReadFileAsync(string file, long firstIndex, SourceContext context, CancellationToken cancellationToken)
    {
        long read = 0;
        try
        {
            using var reader = HipoReader.Open(file);
            var schemas = Select(reader.Schemas, file);
            reader.Schemas.TryGet("RUN::config", out var runConfig);
            var events = new List<HipoEvent>(_batchSize);
            for (var start = 0; start < reader.EventCount && !cancellationToken.IsCancellationRequested;)
            {
                var granted = context.TryReserve(Math.Min(_batchSize, reader.EventCount - start));
                if (granted == 0) return (true, read);
                events.Clear();
                try
                {
                    for (var i = 0; i < granted; i++) events.Add(reader.GetEvent(start + i));
                }
                catch (HipoFormatException)
                {
                    if (events.Count > 0) await context.EmitAsync(ToBatch(events, schemas, runConfig, firstIndex + start)).ConfigureAwait(false);
                    throw;
                }

                await context.EmitAsync(ToBatch(events, schemas, runConfig, firstIndex + start)).ConfigureAwait(false);
                start += granted;
                read += granted;
                lock (_statsGate) _eventsRead += granted;
            }

            lock (_statsGate) _filesRead++;
        }
        catch (HipoFormatException e)
        {
            Problem(context, $"{file}: malformed HIPO: {e.Message}");
        }
        catch (InvalidDataException e)
        {
            Problem(context, $"{file}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Problem(context, $"{file}: cannot read: {e.Message}");
        }

        return (false, read);
    }

    private List<HipoSchema> Select(SchemaDictionary dictionary, string file)
    {
        if (_banks.Count == 0) return [.. dictionary];
        var chosen = new List<HipoSchema>();
        foreach (var name in _banks)
        {
            if (dictionary.TryGet(name, out var s)) chosen.Add(s);
            else throw new InvalidDataException($"no bank '{name}' in its dictionary ({string.Join(", ", dictionary.Select(d => d.Name))})");
        }

        return chosen;
    }

    private static EventBatch ToBatch(List<HipoEvent> events, List<HipoSchema> schemas, HipoSchema? runConfig, long firstIndex)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var meta = new EventMeta[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var number = (ulong)(firstIndex + i);
            if (runConfig is not null && events[i].TryGetBank(runConfig, out var run) && run.Rows > 0 && runConfig.IndexOf("event") >= 0)
            {
                number = unchecked((ulong)(uint)run.GetInt("event", 0));
            }

            meta[i] = new EventMeta(number, 0, 0, now);
        }

        var (fields, arrays) = HipoBankColumns.Build(schemas, events);
        return EventBatch.FromSource(meta, HipoBankColumns.DataType, new RecordBatch(new Apache.Arrow.Schema(fields, null), arrays, events.Count));
    }

    private void Problem(SourceContext context, string message)
    {
        context.Log.Error(context.StageName, message);
        lock (_statsGate) _problems.Add(message);
    }

    private object Summary()
    {
        lock (_statsGate)
        {
            return new Dictionary<string, object>
            {
                ["filesRead"] = _filesRead,
                ["eventsRead"] = _eventsRead,
                ["badFiles"] = _problems.Count,
                ["problems"] = _problems.ToArray(),
            };
        }
    }

    public void Dispose()
    {
    }
}

namespace Streams.Engine.Operators;

/// <summary>Log levels of <see cref="RunLog"/>.</summary>
public enum RunLogLevel
{
    Debug,
    Info,
    Warning,
    Error,
}

/// <summary>A small thread-safe line log (timestamp, level, stage, message), written to a <see cref="TextWriter"/>.</summary>
public sealed class RunLog(TextWriter writer, RunLogLevel minimum = RunLogLevel.Info)
{
    private readonly Lock _gate = new();

    /// <summary>A log that writes nothing.</summary>
    public static RunLog Null { get; } = new(TextWriter.Null, RunLogLevel.Error + 1);

    public RunLogLevel Minimum { get; } = minimum;

    public void Write(RunLogLevel level, string stage, string message)
    {
        if (level < Minimum) return;
        var tag = level switch { RunLogLevel.Debug => "dbg", RunLogLevel.Info => "info", RunLogLevel.Warning => "warn", _ => "error" };
        var line = string.IsNullOrEmpty(stage)
            ? $"{DateTime.UtcNow:HH:mm:ss.fff} {tag} {message}"
            : $"{DateTime.UtcNow:HH:mm:ss.fff} {tag} [{stage}] {message}";
        lock (_gate)
        {
            try
            {
                writer.WriteLine(line);
                writer.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // A closed terminal or pipe must not take the pipeline down with it.
            }
        }
    }

    public void Info(string stage, string message) => Write(RunLogLevel.Info, stage, message);

    public void Warn(string stage, string message) => Write(RunLogLevel.Warning, stage, message);

    public void Error(string stage, string message) => Write(RunLogLevel.Error, stage, message);
}

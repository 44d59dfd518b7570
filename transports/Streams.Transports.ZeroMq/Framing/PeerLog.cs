using System.Globalization;
using System.Text;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;

namespace Streams.Transports.ZeroMq.Framing;

/// <summary>
/// Logs what a peer did wrong without letting the peer flood the log: every report is counted by its reason (a
/// short fixed string chosen by our code, never text the peer sent); the first <see cref="LoggedPerReason"/> of each
/// reason are logged, the rest are summed into one line per <see cref="Interval"/> (and a last one at
/// <see cref="Flush"/>). Anything a peer sent must pass through <see cref="Clip(string?, int)"/> before it goes into a message.
/// Not thread-safe: one socket thread owns it (or lock around it).
/// </summary>
public sealed class PeerLog(RunLog log, string stage, string what, TimeProvider? time = null)
{
    /// <summary>Reports logged per reason before they are only counted.</summary>
    public const int LoggedPerReason = 3;

    /// <summary>The longest text from a peer that goes into a log line as it is.</summary>
    public const int MaxPeerText = 64;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, Reason> _reasons = new(StringComparer.Ordinal);
    private long _lastSummary = (time ?? TimeProvider.System).GetTimestamp();

    /// <summary>How often suppressed reports are summed up in one line.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reports counted as malformed messages, all reasons.</summary>
    public long Malformed { get; private set; }

    /// <summary>Malformed messages by reason.</summary>
    public IReadOnlyDictionary<string, long> MalformedByReason =>
        _reasons.Where(r => r.Value.Malformed).OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => r.Value.Count, StringComparer.Ordinal);

    /// <summary>A malformed message: counted, and logged as a warning within the limits.</summary>
    public void ReportMalformed(string reason, string message) => Report(reason, message, RunLogLevel.Warning, malformed: true);

    /// <summary>Something a peer can repeat at will (a refused join, a duplicate answer): logged within the limits, not counted as malformed.</summary>
    public void Report(string reason, string message, RunLogLevel level) => Report(reason, message, level, malformed: false);

    /// <summary>Writes the summary line if the interval has passed and anything was suppressed (call it from a timer).</summary>
    public void Tick()
    {
        if (_time.GetElapsedTime(_lastSummary) >= Interval) Flush();
    }

    /// <summary>Writes the summary of what was suppressed since the last one, if anything (also at the end of a run).</summary>
    public void Flush()
    {
        _lastSummary = _time.GetTimestamp();
        var suppressed = _reasons.Where(r => r.Value.Suppressed > 0).OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        if (suppressed.Count == 0) return;
        var level = suppressed.Max(r => r.Value.Level);
        var parts = suppressed.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Value.Suppressed} x {r.Key} ({r.Value.Count} in all; last: {r.Value.Last})"));
        log.Write(level, stage, $"{suppressed.Sum(r => r.Value.Suppressed)} more {what} not logged one by one: {string.Join("; ", parts)}");
        foreach (var (_, r) in suppressed) r.Suppressed = 0;
    }

    private void Report(string reason, string message, RunLogLevel level, bool malformed)
    {
        if (!_reasons.TryGetValue(reason, out var r))
        {
            r = new Reason { Malformed = malformed, Level = level };
            _reasons[reason] = r;
        }

        r.Count++;
        if (malformed) Malformed++;
        if (r.Count <= LoggedPerReason)
        {
            log.Write(level, stage, r.Count == LoggedPerReason ? $"{message} (more of these are counted and summed up every {Interval.TotalSeconds:0} s)" : message);
            return;
        }

        r.Suppressed++;
        r.Last = Clip(message, 200);
        r.Level = level > r.Level ? level : r.Level;
    }

    /// <summary>
    /// Text a peer sent, made safe for a log line: control characters replaced by '?', and cut to
    /// <paramref name="max"/> characters with an ellipsis and the original length.
    /// </summary>
    public static string Clip(string? text, int max = MaxPeerText)
    {
        if (text is null) return "";
        var cut = text.Length > max;
        var span = cut ? text.AsSpan(0, max) : text.AsSpan();
        var sb = new StringBuilder(span.Length + 24);
        foreach (var c in span) sb.Append(char.IsControl(c) ? '?' : c);
        if (cut) sb.Append(CultureInfo.InvariantCulture, $"... ({text.Length} chars)");
        return sb.ToString();
    }

    /// <summary>A frame a peer sent, as text for a log line (decoded at most <paramref name="max"/> bytes of it).</summary>
    public static string Clip(ReadOnlySpan<byte> frame, int max = MaxPeerText)
    {
        if (frame.Length <= max) return Clip(Encoding.UTF8.GetString(frame), max);
        return Clip(Encoding.UTF8.GetString(frame[..max]), max) + string.Create(CultureInfo.InvariantCulture, $"... ({frame.Length} bytes)");
    }

    private sealed class Reason
    {
        public long Count;
        public long Suppressed;
        public bool Malformed;
        public RunLogLevel Level;
        public string Last = "";
    }
}

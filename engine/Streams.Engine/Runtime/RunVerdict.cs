namespace Streams.Engine.Runtime;

/// <summary>The exit statuses of <c>streams</c> (README, "Exit status").</summary>
public static class ExitCodes
{
    /// <summary>The run did its job: the books balance, no source or output failed, not every event failed.</summary>
    public const int Ok = 0;

    /// <summary>The run ended but did not do its job: nothing entered, every event failed, or the books do not balance.</summary>
    public const int Failed = 1;

    /// <summary>A usage error or an invalid pipeline file: nothing ran.</summary>
    public const int Usage = 2;

    /// <summary>A fatal operator failure stopped the run.</summary>
    public const int Fatal = 3;

    /// <summary>An output could not be written (a sink failed to write, flush or close its file).</summary>
    public const int OutputFailed = 4;

    /// <summary>A source could not start (a port already taken, say) or failed while running.</summary>
    public const int SourceFailed = 5;

    /// <summary>Aborted by a second signal, without a drain.</summary>
    public const int Aborted = 130;
}

/// <summary>Whether a run did its job, its exit status and the one-line reason.</summary>
internal sealed record RunVerdict(bool Ok, int ExitCode, string Reason)
{
    /// <summary>
    /// Decides the verdict from the books and the faults; the first rule that applies wins: fatal (3), a source failed
    /// (5), an output failed (4), books off balance (1), nothing entered (1), no event processed and some failed (1);
    /// otherwise ok (0) with the reason intake stopped.
    /// </summary>
    public static RunVerdict Decide(string stopReason, EventTotals events, RunFaults faults)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(faults);
        if (faults.Fatal is { } fatal) return new(false, ExitCodes.Fatal, fatal);
        if (faults.Sources is [var source, ..]) return new(false, ExitCodes.SourceFailed, $"source '{source.Stage}' failed: {source.Message}");
        if (faults.Outputs is [var output, ..])
        {
            var lost = output.Events > 0 ? $" ({output.Events} events not written)" : "";
            return new(false, ExitCodes.OutputFailed, $"output of '{output.Stage}' could not be written: {output.Message}{lost}");
        }

        if (!events.Balanced) return new(false, ExitCodes.Failed, $"the books do not balance: {events}");
        if (events.Received == 0) return new(false, ExitCodes.Failed, $"no events entered the pipeline ({stopReason})");
        if (events.Processed == 0 && events.Failed > 0) return new(false, ExitCodes.Failed, $"no event was processed: {events.Failed} of {events.Received} failed");
        return new(true, ExitCodes.Ok, stopReason);
    }
}

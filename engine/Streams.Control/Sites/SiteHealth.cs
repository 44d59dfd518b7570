namespace Streams.Control.Sites;

/// <summary>How a site is doing: up, slow (answers, but late or losing nodes), down (not answering, or losing every node).</summary>
public enum SiteHealthState
{
    Up,
    Slow,
    Down,
}

/// <summary>Thresholds and memory of <see cref="SiteHealth"/>.</summary>
public sealed record SiteHealthSettings
{
    /// <summary>Half-life of a failure's weight, seconds: a site that failed is forgiven, not dropped forever.</summary>
    public double HalfLifeSeconds { get; init; } = 300;

    /// <summary>While down, the site is asked again (listed: a probe) this often, seconds.</summary>
    public double ProbeIntervalSeconds { get; init; } = 60;

    /// <summary>Call-failure score at which the site is down (one failed call scores 1).</summary>
    public double DownScore { get; init; } = 0.5;

    /// <summary>Call-failure score at which it is slow.</summary>
    public double SlowScore { get; init; } = 0.1;

    /// <summary>What one bad node (failed, never joined, died young) adds to the node score; down at 1.</summary>
    public double BadNodeWeight { get; init; } = 0.34;
}

/// <summary>
/// A site's health with decaying memory, on a <see cref="TimeProvider"/>: two scores that halve every
/// <see cref="SiteHealthSettings.HalfLifeSeconds"/>, one for calls that failed or timed out (each adds 1; a request that
/// goes through clears it, a list that answers halves it) and one for bad nodes (each adds
/// <see cref="SiteHealthSettings.BadNodeWeight"/>; a join takes a third off). Down when either is high; a down site is
/// probed every <see cref="SiteHealthSettings.ProbeIntervalSeconds"/> and comes back once its score has decayed or a
/// probe answers.
/// </summary>
public sealed class SiteHealth(SiteHealthSettings settings, TimeProvider time)
{
    private double _calls, _nodes;
    private DateTimeOffset _at = time.GetUtcNow();
    private DateTimeOffset _lastProbe = DateTimeOffset.MinValue;

    public SiteHealthSettings Settings { get; } = settings ?? throw new ArgumentNullException(nameof(settings));

    /// <summary>The last failure's message, or null.</summary>
    public string? LastError { get; private set; }

    /// <summary>How many times the site went down (a failure that took it from up or slow to down).</summary>
    public int TimesDown { get; private set; }

    public double CallScore => Decayed(_calls);

    public double NodeScore => Decayed(_nodes);

    public SiteHealthState State =>
        CallScore >= Settings.DownScore || NodeScore >= 1 ? SiteHealthState.Down
        : CallScore >= Settings.SlowScore || NodeScore >= 0.5 ? SiteHealthState.Slow
        : SiteHealthState.Up;

    /// <summary>True when the site should be asked now: it is not down, or a probe is due (which this call takes).</summary>
    public bool TakeProbe()
    {
        if (State != SiteHealthState.Down) return true;
        var now = time.GetUtcNow();
        if ((now - _lastProbe).TotalSeconds < Settings.ProbeIntervalSeconds) return false;
        _lastProbe = now;
        return true;
    }

    /// <summary>A call of the site's provider failed or timed out.</summary>
    public void CallFailed(string message)
    {
        var was = State;
        Settle();
        _calls += 1;
        LastError = message;
        _lastProbe = time.GetUtcNow();
        CountDown(was);
    }

    /// <summary>A request went through.</summary>
    public void RequestSucceeded()
    {
        Settle();
        _calls = 0;
    }

    /// <summary>A list answered.</summary>
    public void ListSucceeded()
    {
        Settle();
        _calls /= 2;
    }

    /// <summary>A node failed, never joined or died young.</summary>
    public void NodeBad()
    {
        var was = State;
        Settle();
        _nodes += Settings.BadNodeWeight;
        CountDown(was);
    }

    /// <summary>A node joined.</summary>
    public void NodeJoined()
    {
        Settle();
        _nodes *= 2.0 / 3;
    }

    private void CountDown(SiteHealthState was)
    {
        if (was != SiteHealthState.Down && State == SiteHealthState.Down) TimesDown++;
    }

    private double Decayed(double score) => score * Math.Pow(0.5, (time.GetUtcNow() - _at).TotalSeconds / Settings.HalfLifeSeconds);

    private void Settle()
    {
        _calls = CallScore;
        _nodes = NodeScore;
        _at = time.GetUtcNow();
    }
}

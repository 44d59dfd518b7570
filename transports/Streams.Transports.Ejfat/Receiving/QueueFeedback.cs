namespace Streams.Transports.Ejfat.Receiving;

/// <summary>
/// The receiver's feedback to a load-balancer control plane, as E2SAR's SendState: every sample, fill = queue depth /
/// capacity, e = setpoint - fill, u = Kp e + Ki I + Kd D over the true sample interval. The output is clamped to
/// [-limit, limit]; the integral stops growing while the output is saturated in the same direction (anti-windup).
/// </summary>
internal sealed class QueueFeedback(double setpoint = 0.5, double kp = 1.0, double ki = 0.0, double kd = 0.0, double limit = 1.0)
{
    private double _integral;
    private double _lastError;
    private bool _started;

    public double Fill { get; private set; }

    public double Error { get; private set; }

    /// <summary>The control signal u.</summary>
    public double Signal { get; private set; }

    public double Integral => _integral;

    /// <summary>Updates with a new fill fraction measured <paramref name="dtSeconds"/> after the previous one.</summary>
    public double Update(double fill, double dtSeconds)
    {
        Fill = Math.Clamp(fill, 0, 1);
        var e = setpoint - Fill;
        var derivative = _started && dtSeconds > 0 ? (e - _lastError) / dtSeconds : 0;
        var candidateIntegral = _integral + (e * Math.Max(dtSeconds, 0));
        var unclamped = (kp * e) + (ki * candidateIntegral) + (kd * derivative);
        var u = Math.Clamp(unclamped, -limit, limit);
        // Anti-windup: keep the new integral only if the output is not saturated, or if the error pulls it back.
        var saturatedSameWay = unclamped != u && Math.Sign(e) == Math.Sign(unclamped);
        if (!saturatedSameWay) _integral = candidateIntegral;
        _lastError = e;
        _started = true;
        Error = e;
        Signal = u;
        return u;
    }
}

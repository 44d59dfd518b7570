namespace Streams.Control.Laws;

/// <summary>M/M/c queueing formulas (Erlang C).</summary>
public static class ErlangC
{
    /// <summary>Probability that an arrival waits, for c servers at offered load a = lambda/mu (a &lt; c).</summary>
    public static double WaitProbability(int c, double a)
    {
        if (c <= 0 || a >= c) return 1;
        if (a <= 0) return 0;
        // Erlang B by the stable recurrence B(k) = a B(k-1) / (k + a B(k-1)), then C = B / (1 - rho (1 - B)).
        var b = 1.0;
        for (var k = 1; k <= c; k++) b = a * b / (k + (a * b));
        var rho = a / c;
        return b / (1 - (rho * (1 - b)));
    }

    /// <summary>Mean number waiting (Lq) in an M/M/c queue; infinity when lambda &gt;= c mu.</summary>
    public static double MeanQueue(int c, double lambda, double mu)
    {
        if (lambda <= 0) return 0;
        if (mu <= 0 || lambda >= c * mu) return double.PositiveInfinity;
        var a = lambda / mu;
        var rho = a / c;
        return WaitProbability(c, a) * rho / (1 - rho);
    }

    /// <summary>Fewest servers for which the mean queue stays at or under <paramref name="targetQueue"/> and utilisation under <paramref name="maxUtilisation"/>.</summary>
    public static int ServersFor(double lambda, double mu, double targetQueue, double maxUtilisation, int max = 100_000)
    {
        if (lambda <= 0 || mu <= 0) return 0;
        var c = Math.Max(1, (int)Math.Ceiling(lambda / (mu * maxUtilisation)));
        while (c < max && MeanQueue(c, lambda, mu) > targetQueue) c++;
        return c;
    }
}

using System.Runtime.CompilerServices;

namespace Streams.TestKit;

/// <summary>
/// Waits for a condition that the code under test makes true (a file written, a state reached): it polls, and the
/// deadline is only a safety net that turns a hang into a failure, so a loaded machine makes a test slower, not red.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan Safety = TimeSpan.FromSeconds(90);

    /// <summary>Returns once <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> naming <paramref name="what"/> after <see cref="Safety"/>.</summary>
    public static Task Until(Func<bool> condition, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync(() => Task.FromResult(condition()), what);
    }

    /// <summary>
    /// As <see cref="Until"/>, for a condition that must be asked for (a node provider's list, a scheduler's queue):
    /// asked every <paramref name="every"/> (default 10 ms) until it holds.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? every = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + Safety;
        while (!await condition().ConfigureAwait(false))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"never happened: {what}");
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(10)).ConfigureAwait(false);
        }
    }

    /// <summary>As <see cref="Until"/>, naming the condition by its own source text (the kit's name for it).</summary>
    public static Task WaitUntil(Func<bool> condition, [CallerArgumentExpression(nameof(condition))] string what = "") => Until(condition, what);
}

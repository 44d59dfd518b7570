using Streams.Transports.ZeroMq.Coordination;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.Tests.ZeroMq;

public sealed class DispatchBookTests
{
    private static WorkItem Item(ulong id, int events = 10) => new(id, "s", events, new EncodedBatch([], [], [], 0, pool: null));

    [Fact]
    public void A_worker_never_holds_more_than_its_credit()
    {
        var book = new DispatchBook("s");
        var w = book.Join("a", "a");
        w.Credit = 3;
        for (ulong i = 1; i <= 10; i++) book.Submit(Item(i));
        var sent = book.Assign();
        Assert.Equal(3, sent.Count);
        Assert.Equal([1UL, 2UL, 3UL], sent.Select(s => s.Item.BatchId));
        Assert.Equal(7, book.Pending);
        Assert.Empty(book.Assign());

        Assert.NotNull(book.Complete("a", 2, 10)); // one answer returns one credit
        var next = Assert.Single(book.Assign());
        Assert.Equal(4UL, next.Item.BatchId);
        Assert.Equal(3, w.InFlight.Count);
        Assert.Equal(1, w.BatchesAcked);
    }

    [Fact]
    public void Work_is_spread_over_workers_by_free_credit()
    {
        var book = new DispatchBook("s");
        var a = book.Join("a", "a");
        var b = book.Join("b", "b");
        a.Credit = 4;
        b.Credit = 2;
        for (ulong i = 1; i <= 5; i++) book.Submit(Item(i));
        var sent = book.Assign();
        Assert.Equal(5, sent.Count);
        // Most free credit first, ties broken round robin: a, a, b, a, b.
        Assert.Equal(["a", "a", "b", "a", "b"], sent.Select(s => s.Worker.Name));
        Assert.Equal(3, a.InFlight.Count);
        Assert.Equal(2, b.InFlight.Count);
    }

    [Fact]
    public void A_dead_workers_batches_go_first_to_another_worker_and_a_late_answer_counts_once()
    {
        var book = new DispatchBook("s");
        var a = book.Join("a", "a");
        a.Credit = 2;
        for (ulong i = 1; i <= 3; i++) book.Submit(Item(i));
        book.Assign(); // a holds 1 and 2; 3 waits
        var b = book.Join("b", "b");
        Assert.Equal(2, book.Remove("a")); // declared dead (when is the roster's call: WorkerRosterTests)
        Assert.Null(book.Find("a"));
        Assert.Equal(2, book.BatchesResent);
        Assert.Equal(3, book.Pending);

        b.Credit = 3;
        var sent = book.Assign();
        Assert.Equal([1UL, 2UL, 3UL], sent.Select(s => s.Item.BatchId)); // the resent ones first, in order
        Assert.All(sent, s => Assert.Same(b, s.Worker));

        // The "dead" worker was only slow: its answer for batch 1 arrives first and is taken...
        var first = book.Complete("a", 1, 10);
        Assert.NotNull(first);
        Assert.Equal(1, first!.Resends);
        // ... and b's answer for the same batch is a duplicate, suppressed and counted.
        Assert.Null(book.Complete("b", 1, 10));
        Assert.Equal(1, book.DuplicateBatches);
        Assert.Equal(10, book.DuplicateEvents);
        Assert.Equal(2, b.InFlight.Count); // b's credit for batch 1 came back with its answer
    }

    [Fact]
    public void A_batch_answered_while_queued_for_resend_is_not_sent_again()
    {
        var book = new DispatchBook("s");
        var a = book.Join("a", "a");
        a.Credit = 1;
        book.Submit(Item(1));
        book.Assign();
        book.Remove("a");
        Assert.Equal(1, book.Pending);
        Assert.NotNull(book.Complete("a", 1, 10)); // late answer from the departed worker
        Assert.Equal(0, book.Pending);
        Assert.Equal(0, book.Open);
    }

    [Fact]
    public void A_leaving_worker_gets_no_more_work_and_a_graceful_leave_is_not_a_death()
    {
        var book = new DispatchBook("s");
        var a = book.Join("a", "a");
        a.Credit = 5;
        book.Submit(Item(1));
        book.Assign();
        a.Leaving = true;
        book.Submit(Item(2));
        Assert.Empty(book.Assign());
        book.Complete("a", 1, 10);
        Assert.Equal(0, book.Remove("a")); // a graceful leave hands back nothing
        Assert.Equal(0, book.BatchesResent);
        Assert.Equal(1, book.Pending);
    }

    [Fact]
    public void An_answer_from_a_worker_the_batch_was_not_sent_to_is_not_taken()
    {
        var book = new DispatchBook("s");
        var a = book.Join("a", "a");
        a.Credit = 1;
        book.Join("intruder", "intruder");
        book.Submit(Item(1));
        Assert.Same(a, Assert.Single(book.Assign()).Worker);
        Assert.Null(book.Complete("intruder", 1, 10)); // forged, or stale from before a restart
        Assert.Null(book.Complete("stranger", 99, 10)); // never sent anywhere
        Assert.Equal(2, book.Rejected);
        Assert.Equal(0, book.DuplicateBatches);
        Assert.NotNull(book.Complete("a", 1, 10)); // the real answer still counts
    }

    [Fact]
    public void Abandoning_returns_every_unanswered_batch()
    {
        var book = new DispatchBook("s");
        var a = book.Join("a", "a");
        a.Credit = 1;
        for (ulong i = 1; i <= 3; i++) book.Submit(Item(i));
        book.Assign();
        var all = book.AbandonAll();
        Assert.Equal([1UL, 2UL, 3UL], all.Select(i => i.BatchId).Order());
        Assert.Equal(0, book.Pending);
        Assert.Empty(a.InFlight);
    }

    [Fact]
    public void A_batch_lost_with_every_worker_it_visits_is_given_up_after_the_last_resend()
    {
        var book = new DispatchBook("s");
        book.Submit(Item(1));
        for (var visit = 0; visit <= DispatchBook.MaxResends; visit++)
        {
            var w = book.Join($"w{visit}", $"w{visit}");
            w.Credit = 1;
            Assert.Single(book.Assign());
            book.Remove(w.Key);
        }

        var given = Assert.Single(book.Exhausted);
        Assert.Equal(1UL, given.BatchId);
        Assert.Equal(DispatchBook.MaxResends, given.Resends);
        Assert.Equal(0, book.Pending);
        Assert.Equal(0, book.Open);
        Assert.Equal(DispatchBook.MaxResends, book.BatchesResent);
    }
}

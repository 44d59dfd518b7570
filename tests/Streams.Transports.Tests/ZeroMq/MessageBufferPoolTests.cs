using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.Tests.ZeroMq;

public sealed class MessageBufferPoolTests
{
    [Theory]
    [InlineData(0, 256)]
    [InlineData(1, 256)]
    [InlineData(257, 512)]
    [InlineData(65536, 65536)]
    [InlineData(1048000, 1048576)]
    public void A_buffer_is_a_power_of_two_at_least_the_size_asked(int size, int length)
    {
        using var pool = new MessageBufferPool();
        Assert.Equal(length, pool.Take(size).Length);
    }

    [Fact]
    public void A_returned_buffer_is_handed_out_again_for_a_size_of_its_bucket()
    {
        using var pool = new MessageBufferPool();
        var first = pool.Take(60_000);
        pool.Return(first);
        Assert.Equal(65536, pool.PooledBytes);
        Assert.Same(first, pool.Take(65_000));
        Assert.Equal(0, pool.PooledBytes);
        Assert.Equal((1L, 1L), (pool.Allocations, pool.Reuses));
        Assert.NotSame(first, pool.Take(65_000));
    }

    [Fact]
    public void The_pool_keeps_no_more_than_its_limit_nor_buffers_it_did_not_make()
    {
        using var pool = new MessageBufferPool(maxPooledBytes: 3 * 4096);
        var buffers = Enumerable.Range(0, 5).Select(_ => pool.Take(4096)).ToList();
        foreach (var b in buffers) pool.Return(b);
        Assert.Equal(3 * 4096, pool.PooledBytes);
        pool.Return(new byte[1000]); // not a power of two: someone else's
        pool.Return(new byte[1 << 27]); // beyond the largest bucket
        Assert.Equal(3 * 4096, pool.PooledBytes);
    }

    [Fact]
    public void Buffers_beyond_the_largest_bucket_are_made_to_measure()
    {
        using var pool = new MessageBufferPool();
        Assert.Equal((64 << 20) + 1, pool.Take((64 << 20) + 1).Length);
    }
}

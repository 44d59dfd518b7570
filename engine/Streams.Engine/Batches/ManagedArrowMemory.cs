using System.Buffers;
using Apache.Arrow.Memory;

namespace Streams.Engine.Batches;

/// <summary>
/// An Arrow allocator backed by ordinary managed arrays, whose disposal is a no-op. Operators build their Arrow
/// payloads with it so that a processor may pass columns of its input on into its output (sharing, not copying): the
/// garbage collector frees the memory once no batch refers to it, so disposing one batch can never free memory another
/// still reads (Arrow's default native allocator frees on dispose).
/// </summary>
public sealed class ManagedArrowMemory : MemoryAllocator
{
    public static ManagedArrowMemory Allocator { get; } = new();

    protected override IMemoryOwner<byte> AllocateInternal(int length, out int bytesAllocated)
    {
        bytesAllocated = length;
        return new Owner(new byte[length]);
    }

    private sealed class Owner(byte[] array) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = array;

        public void Dispose()
        {
        }
    }
}

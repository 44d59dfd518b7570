using Streams.Engine.Batches;
using Streams.Fuzz.Targets;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.Tests.ZeroMq;

/// <summary>
/// Fuzz findings (frames target, tests/fuzz/crashes/frames): a ~10 kB batch message whose Arrow metadata declares huge
/// vectors made Apache.Arrow allocate up to 10 GB; others decoded into batches whose short buffers failed later, in
/// the next operator. Both must now be a <see cref="FrameException"/> at the frame, with little allocated.
/// </summary>
public class ArrowPayloadCheckTests
{
    private static string Crashes => Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "fuzz", "crashes", "frames");

    public static TheoryData<string> Inputs => new(Directory.GetFiles(Crashes).Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Inputs))]
    public void A_fuzzed_arrow_payload_is_refused_at_the_frame_without_a_huge_allocation(string name)
    {
        var frames = FuzzSupport.Split(File.ReadAllBytes(Path.Combine(Crashes, name)), 3);
        var header = BatchFrames.ReadHeader(frames[0]);
        Assert.Equal(PayloadKind.Arrow, header.Kind);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<FrameException>(() => BatchFrames.Decode(header, frames[1], frames[2]).Dispose());
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 16 << 20, $"{allocated:N0} bytes allocated to refuse a {frames[2].Length}-byte payload");
    }

    [Fact]
    public void A_real_arrow_batch_still_decodes_and_its_columns_read()
    {
        var frames = FuzzSupport.Split(File.ReadAllBytes(Path.Combine(Crashes, "..", "..", "corpus", "frames", "arrow-hits-2")), 3);
        using var batch = BatchFrames.Decode(BatchFrames.ReadHeader(frames[0]), frames[1], frames[2]);
        Assert.Equal(2, batch.Count);
        Assert.Equal(15, batch.Records!.ColumnCount);
        using var taken = ArrowRows.Take(batch.Records, [1]);
        Assert.Equal(1, taken.Length);
    }
}
